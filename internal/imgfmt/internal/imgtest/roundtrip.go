package imgtest

import (
	"bytes"
	"context"
	"io"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/kilnhq/kiln/internal/imgfmt"
)

// ConvertFile runs c on the raw disk at raw and returns the path of the image,
// named name in a fresh temporary directory.
func ConvertFile(t testing.TB, c imgfmt.Converter, raw, name string, opts imgfmt.Options) string {
	t.Helper()
	src, err := os.Open(raw)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	out := filepath.Join(t.TempDir(), name)
	dst, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	if err := c.Convert(context.Background(), src, dst, opts); err != nil {
		t.Fatalf("convert: %v", err)
	}
	return out
}

// SameContent compares a reader's view of an image (virtual size size) with
// the raw disk at raw: all of it when small, else the allocated extents plus
// random samples. Bytes past the raw disk's end must read as zeros.
func SameContent(t testing.TB, raw string, r io.ReaderAt, size int64) {
	t.Helper()
	f, err := os.Open(raw)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ranges := []imgfmt.Extent{{Offset: 0, Length: size}}
	if size > 64<<20 {
		exts, err := imgfmt.Extents(f)
		if err != nil {
			t.Fatal(err)
		}
		ranges = imgfmt.AlignExtents(exts, 1<<20, size)
		for range 32 {
			ranges = append(ranges, imgfmt.Extent{Offset: mrand.Int64N(size), Length: 64 << 10})
		}
		ranges = append(ranges, imgfmt.Extent{Offset: max(0, size-(64<<10)), Length: 64 << 10})
	}
	a, b := make([]byte, 1<<20), make([]byte, 1<<20)
	for _, e := range ranges {
		end := min(e.End(), size)
		for off := e.Offset; off < end; off += int64(len(a)) {
			n := int(min(int64(len(a)), end-off))
			clear(a)
			if _, err := f.ReadAt(a[:n], off); err != nil && err != io.EOF {
				t.Fatal(err)
			}
			if _, err := r.ReadAt(b[:n], off); err != nil && err != io.EOF {
				t.Fatalf("our reader at %d: %v", off, err)
			}
			if !bytes.Equal(a[:n], b[:n]) {
				t.Fatalf("our reader disagrees with the source in [%d, %d)", off, off+int64(n))
			}
		}
	}
}

// WriteSparse writes only the non-zero 4 KiB blocks of disk to path, leaving
// holes, so that extents differ from the data.
func WriteSparse(path string, disk []byte) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Truncate(int64(len(disk))); err != nil {
		return err
	}
	for off := 0; off < len(disk); off += 4096 {
		b := disk[off:min(off+4096, len(disk))]
		if !imgfmt.IsZero(b) {
			if _, err := f.WriteAt(b, int64(off)); err != nil {
				return err
			}
		}
	}
	return f.Close()
}

// Noise is incompressible data from a seed (drawing each byte from rapid would
// make large cases slow).
func Noise(seed uint64, n int) []byte {
	b := make([]byte, n)
	var key [32]byte
	key[0], key[1], key[2], key[3] = byte(seed), byte(seed>>8), byte(seed>>16), byte(seed>>24)
	_, _ = mrand.NewChaCha8(key).Read(b)
	return b
}

// Allocated is the number of bytes the file at path occupies on disk.
func Allocated(t testing.TB, path string) int64 {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	return st.Blocks * 512
}
