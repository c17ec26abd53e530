package vmdk_test

import (
	"bytes"
	"context"
	"io"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/kilnhq/kiln/internal/imgfmt"
	"github.com/kilnhq/kiln/internal/imgfmt/internal/imgtest"
	"github.com/kilnhq/kiln/internal/imgfmt/vmdk"
)

func convert(t testing.TB, c vmdk.Converter, raw string, opts imgfmt.Options) string {
	t.Helper()
	src, err := os.Open(raw)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	out := filepath.Join(t.TempDir(), "disk.vmdk")
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

func openReader(t testing.TB, path string) *vmdk.Reader {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	r, err := vmdk.Open(f, st.Size())
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	return r
}

// sameContent compares our reader's view of img with the raw disk: all of it
// when small, else the allocated extents plus random samples.
func sameContent(t testing.TB, raw, img string) {
	t.Helper()
	r := openReader(t, img)
	f, err := os.Open(raw)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	size := r.Size()
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

func TestConvertQemuOracle(t *testing.T) {
	imgtest.NeedTool(t, "qemu-img")
	for _, d := range imgtest.Cases() {
		for _, sub := range []vmdk.Subformat{vmdk.MonolithicSparse, vmdk.StreamOptimized} {
			name := d.Name + "/monolithicSparse"
			if sub == vmdk.StreamOptimized {
				name = d.Name + "/streamOptimized"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				raw := imgtest.SparseDisk(t, d.Size, d.Writes...)
				if d.Size == 0 {
					zeroSizeRefused(t, raw, sub)
					return
				}
				out := convert(t, vmdk.Converter{Subformat: sub}, raw, imgfmt.Options{})
				info := imgtest.QemuInfo(t, "vmdk", out)
				if want := (d.Size + 511) / 512 * 512; info.VirtualSize != want {
					t.Errorf("qemu-img info: virtual size %d, want %d", info.VirtualSize, want)
				}
				imgtest.QemuCheckAndCompare(t, raw, "vmdk", out)
				sameContent(t, raw, out)
			})
		}
	}
}

func TestDescriptorCreateType(t *testing.T) {
	imgtest.NeedTool(t, "qemu-img")
	raw := imgtest.SparseDisk(t, 8<<20, imgtest.Write{Off: 0, Data: imgtest.Pattern(100000, 1)})
	for sub, want := range map[vmdk.Subformat]string{vmdk.MonolithicSparse: "monolithicSparse", vmdk.StreamOptimized: "streamOptimized"} {
		out := convert(t, vmdk.Converter{Subformat: sub, AdapterType: "ide"}, raw, imgfmt.Options{})
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		desc := string(b[512 : 512*21])
		if !bytes.Contains([]byte(desc), []byte(`createType="`+want+`"`)) || !bytes.Contains([]byte(desc), []byte(`ddb.adapterType = "ide"`)) {
			t.Errorf("descriptor:\n%s", desc)
		}
		out2 := imgtest.QemuImg(t, "info", "-f", "vmdk", out)
		if !bytes.Contains(out2, []byte("create type: "+want)) {
			t.Errorf("qemu-img info:\n%s", out2)
		}
	}
}

func TestConvertExt4(t *testing.T) {
	imgtest.NeedTool(t, "qemu-img")
	raw := imgtest.Ext4Disk(t, 64<<20, "/usr/share/zoneinfo")
	for _, sub := range []vmdk.Subformat{vmdk.MonolithicSparse, vmdk.StreamOptimized} {
		out := convert(t, vmdk.Converter{Subformat: sub}, raw, imgfmt.Options{Workers: 2})
		imgtest.QemuCheckAndCompare(t, raw, "vmdk", out)
		sameContent(t, raw, out)
		st, _ := os.Stat(out)
		t.Logf("subformat %d: %d bytes", sub, st.Size())
	}
}

func TestCompressNeedsStreamOptimized(t *testing.T) {
	raw := imgtest.SparseDisk(t, 1<<20)
	src, _ := os.Open(raw)
	defer src.Close()
	dst, _ := os.Create(filepath.Join(t.TempDir(), "x.vmdk"))
	defer dst.Close()
	if err := (vmdk.Converter{}).Convert(context.Background(), src, dst, imgfmt.Options{Compress: true}); err == nil {
		t.Fatal("compressed monolithicSparse accepted")
	}
}

// qemu cannot open VMDKs of capacity 0 (not even its own), so we refuse them.
func zeroSizeRefused(t *testing.T, raw string, sub vmdk.Subformat) {
	src, _ := os.Open(raw)
	defer src.Close()
	dst, _ := os.Create(filepath.Join(t.TempDir(), "z.vmdk"))
	defer dst.Close()
	if err := (vmdk.Converter{Subformat: sub}).Convert(context.Background(), src, dst, imgfmt.Options{}); err == nil {
		t.Fatal("zero-size disk accepted")
	}
}

// noise is incompressible data from a seed (drawing each byte from rapid would
// make large cases slow).
func noise(seed uint64, n int) []byte {
	b := make([]byte, n)
	var key [32]byte
	key[0], key[1], key[2], key[3] = byte(seed), byte(seed>>8), byte(seed>>16), byte(seed>>24)
	_, _ = mrand.NewChaCha8(key).Read(b)
	return b
}
