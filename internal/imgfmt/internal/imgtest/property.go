package imgtest

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"pgregory.net/rapid"

	"github.com/kilnhq/kiln/internal/imgfmt"
)

// Image is what a format's reader offers the round-trip property.
type Image interface {
	io.ReaderAt
	Size() int64
}

// Writer is a format's converter as the property drives it.
type Writer interface {
	Write(ctx context.Context, src imgfmt.Source, dst imgfmt.Destination, opts imgfmt.Options) error
	VirtualSize(srcSize int64) int64
}

// Format describes one writer/reader pair for RoundTripProperty.
type Format struct {
	Name    string // file extension and qemu-img format, e.g. "vdi", "vpc"
	MaxSize int64  // largest random disk
	NoCheck bool   // qemu-img check does not support the format: compare only
	// Writer draws a converter configuration (subformat, block size …).
	Writer func(rt *rapid.T) Writer
	Open   func(f *os.File, size int64) (Image, error)
}

// RoundTripProperty checks, for random sparse disks (patterned, incompressible
// and written-zero ranges), that the format's reader reads back the source
// disk and zeros past it; qemu-img agrees on every twentieth case.
func RoundTripProperty(t *testing.T, f Format) {
	dir := t.TempDir()
	_, qerr := os.Stat("/usr/bin/qemu-img")
	iter := 0
	rapid.Check(t, func(rt *rapid.T) {
		iter++
		size := rapid.Int64Range(1, f.MaxSize).Draw(rt, "size")
		disk := make([]byte, size)
		for i := range rapid.IntRange(0, 10).Draw(rt, "writes") {
			off := rapid.Int64Range(0, size-1).Draw(rt, "off")
			n := rapid.Int64Range(1, min(size-off, 300<<10)).Draw(rt, "len")
			switch rapid.IntRange(0, 2).Draw(rt, "kind") {
			case 0:
				copy(disk[off:], Pattern(int(n), byte(i)))
			case 1:
				copy(disk[off:], Noise(rapid.Uint64().Draw(rt, "seed"), int(n)))
			case 2:
				clear(disk[off : off+n])
			}
		}
		c := f.Writer(rt)
		raw := filepath.Join(dir, "p.raw")
		img := filepath.Join(dir, "p."+f.Name)
		if err := WriteSparse(raw, disk); err != nil {
			rt.Fatal(err)
		}
		src, err := os.Open(raw)
		if err != nil {
			rt.Fatal(err)
		}
		defer src.Close()
		exts, err := imgfmt.ScanExtents(src, size, 4096)
		if err != nil {
			rt.Fatal(err)
		}
		dst, err := os.Create(img)
		if err != nil {
			rt.Fatal(err)
		}
		defer dst.Close()
		if err := c.Write(context.Background(), imgfmt.Source{R: src, Size: size, Extents: exts}, dst, imgfmt.Options{}); err != nil {
			rt.Fatalf("write: %v", err)
		}
		st, _ := dst.Stat()
		r, err := f.Open(dst, st.Size())
		if err != nil {
			rt.Fatalf("open: %v", err)
		}
		if r.Size() != c.VirtualSize(size) {
			rt.Fatalf("size %d, want %d", r.Size(), c.VirtualSize(size))
		}
		got := make([]byte, r.Size())
		if n, err := r.ReadAt(got, 0); n != len(got) || (err != nil && err != io.EOF) {
			rt.Fatalf("read: %d, %v", n, err)
		}
		if !bytes.Equal(got[:size], disk) || !imgfmt.IsZero(got[size:]) {
			rt.Fatalf("content differs")
		}
		if qerr == nil && iter%20 == 0 {
			if f.NoCheck {
				QemuImg(rt, "compare", "-q", "-f", "raw", "-F", f.Name, raw, img)
			} else {
				QemuCheckAndCompare(rt, raw, f.Name, img)
			}
		}
	})
}
