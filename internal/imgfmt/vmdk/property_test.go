package vmdk_test

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
	"github.com/kilnhq/kiln/internal/imgfmt/vmdk"
)

// For random sparse block maps and both subformats, our reader reads back the
// source disk; qemu-img check and compare agree on every twentieth case.
func TestPropertyRoundTrip(t *testing.T) {
	dir := t.TempDir()
	_, qerr := os.Stat("/usr/bin/qemu-img")
	iter := 0
	rapid.Check(t, func(rt *rapid.T) {
		iter++
		// Small disks, and one in ten past 32 MiB, where a second grain table starts.
		size := rapid.Int64Range(1, 2<<20).Draw(rt, "size")
		if rapid.IntRange(0, 9).Draw(rt, "large") == 0 {
			size = rapid.Int64Range(32<<20, 40<<20).Draw(rt, "largeSize")
		}
		disk := make([]byte, size)
		for i := range rapid.IntRange(0, 10).Draw(rt, "writes") {
			off := rapid.Int64Range(0, size-1).Draw(rt, "off")
			n := rapid.Int64Range(1, min(size-off, 200<<10)).Draw(rt, "len")
			switch rapid.IntRange(0, 2).Draw(rt, "kind") {
			case 0:
				copy(disk[off:], imgtest.Pattern(int(n), byte(i)))
			case 1:
				copy(disk[off:], noise(rapid.Uint64().Draw(rt, "seed"), int(n)))
			case 2:
				clear(disk[off : off+n])
			}
		}
		sub := rapid.SampledFrom([]vmdk.Subformat{vmdk.MonolithicSparse, vmdk.StreamOptimized}).Draw(rt, "subformat")
		raw := filepath.Join(dir, "p.raw")
		img := filepath.Join(dir, "p.vmdk")
		if err := writeSparse(raw, disk); err != nil {
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
		err = vmdk.Converter{Subformat: sub}.Write(context.Background(), imgfmt.Source{R: src, Size: size, Extents: exts}, dst,
			imgfmt.Options{Workers: rapid.IntRange(1, 3).Draw(rt, "workers")})
		if err != nil {
			rt.Fatalf("write: %v", err)
		}
		st, _ := dst.Stat()
		r, err := vmdk.Open(dst, st.Size())
		if err != nil {
			rt.Fatalf("open: %v", err)
		}
		got := make([]byte, r.Size())
		if n, err := r.ReadAt(got, 0); n != len(got) || (err != nil && err != io.EOF) {
			rt.Fatalf("read: %d, %v", n, err)
		}
		if !bytes.Equal(got[:size], disk) || !imgfmt.IsZero(got[size:]) {
			rt.Fatalf("content differs")
		}
		if qerr == nil && iter%20 == 0 {
			imgtest.QemuCheckAndCompare(rt, raw, "vmdk", img)
		}
	})
}

// writeSparse writes only the non-zero 4 KiB blocks of disk, leaving holes.
func writeSparse(path string, disk []byte) error {
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
