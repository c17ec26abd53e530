package vdi_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"pgregory.net/rapid"

	"github.com/kilnhq/kiln/internal/imgfmt"
	"github.com/kilnhq/kiln/internal/imgfmt/internal/imgtest"
	"github.com/kilnhq/kiln/internal/imgfmt/vdi"
)

// For random sparse disks our reader reads back the source disk (and zeros
// past it); qemu-img check and compare agree on every twentieth case.
func TestPropertyRoundTrip(t *testing.T) {
	dir := t.TempDir()
	_, qerr := os.Stat("/usr/bin/qemu-img")
	iter := 0
	rapid.Check(t, func(rt *rapid.T) {
		iter++
		// Up to a few 1 MiB blocks, so block boundaries and partial last
		// blocks are crossed often.
		size := rapid.Int64Range(1, 7<<20).Draw(rt, "size")
		disk := make([]byte, size)
		for i := range rapid.IntRange(0, 10).Draw(rt, "writes") {
			off := rapid.Int64Range(0, size-1).Draw(rt, "off")
			n := rapid.Int64Range(1, min(size-off, 300<<10)).Draw(rt, "len")
			switch rapid.IntRange(0, 2).Draw(rt, "kind") {
			case 0:
				copy(disk[off:], imgtest.Pattern(int(n), byte(i)))
			case 1:
				copy(disk[off:], imgtest.Noise(rapid.Uint64().Draw(rt, "seed"), int(n)))
			case 2:
				clear(disk[off : off+n])
			}
		}
		c := vdi.Converter{}
		raw := filepath.Join(dir, "p.raw")
		img := filepath.Join(dir, "p.vdi")
		if err := imgtest.WriteSparse(raw, disk); err != nil {
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
		r, err := vdi.Open(dst, st.Size())
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
			imgtest.QemuCheckAndCompare(rt, raw, "vdi", img)
		}
	})
}
