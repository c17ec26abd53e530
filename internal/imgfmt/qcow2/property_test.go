package qcow2_test

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"pgregory.net/rapid"

	"github.com/kilnhq/kiln/internal/imgfmt"
	"github.com/kilnhq/kiln/internal/imgfmt/internal/imgtest"
	"github.com/kilnhq/kiln/internal/imgfmt/qcow2"
)

// For random sparse block maps, cluster sizes and worker counts, the image our
// writer produces reads back, through our reader, as the source disk; and
// qemu-img check and compare agree.
func TestPropertyRoundTrip(t *testing.T) {
	dir := t.TempDir()
	_, qerr := os.Stat("/usr/bin/qemu-img")
	iter := 0
	rapid.Check(t, func(rt *rapid.T) {
		iter++
		bits := rapid.SampledFrom([]uint{9, 10, 12, 16}).Draw(rt, "clusterBits")
		cs := int64(1) << bits
		size := rapid.Int64Range(0, 4<<20).Draw(rt, "size")
		disk := make([]byte, size)
		nw := rapid.IntRange(0, 12).Draw(rt, "writes")
		for i := range nw {
			if size == 0 {
				break
			}
			off := rapid.Int64Range(0, size-1).Draw(rt, "off")
			n := rapid.Int64Range(1, min(size-off, 3*cs)).Draw(rt, "len")
			switch rapid.IntRange(0, 2).Draw(rt, "kind") {
			case 0: // compressible
				b := pattern(int(n), byte(i))
				copy(disk[off:], b)
			case 1: // incompressible
				copy(disk[off:], noise(rapid.Uint64().Draw(rt, "seed"), int(n)))
			case 2: // written zeros (allocated, all zero)
				clear(disk[off : off+n])
			}
		}
		compress := rapid.Bool().Draw(rt, "compress")
		workers := rapid.IntRange(1, 3).Draw(rt, "workers")

		raw := filepath.Join(dir, "p.raw")
		img := filepath.Join(dir, "p.qcow2")
		if err := os.WriteFile(raw, disk, 0o644); err != nil {
			rt.Fatal(err)
		}
		src, err := os.Open(raw)
		if err != nil {
			rt.Fatal(err)
		}
		defer src.Close()
		// Extents from the zero-scan fallback at a random granularity: coarse
		// ones put zero clusters inside extents, fine ones split clusters.
		exts, err := imgfmt.ScanExtents(src, size, int(rapid.SampledFrom([]int64{512, 4096, 65536}).Draw(rt, "scan")))
		if err != nil {
			rt.Fatal(err)
		}
		dst, err := os.Create(img)
		if err != nil {
			rt.Fatal(err)
		}
		defer dst.Close()
		err = qcow2.Converter{ClusterBits: bits}.Write(context.Background(),
			imgfmt.Source{R: src, Size: size, Extents: exts}, dst, imgfmt.Options{Compress: compress, Workers: workers})
		if err != nil {
			rt.Fatalf("write: %v", err)
		}
		r, err := qcow2.Open(dst)
		if err != nil {
			rt.Fatalf("open: %v", err)
		}
		want := size + (512-size%512)%512
		if r.Size() != want {
			rt.Fatalf("virtual size %d, want %d", r.Size(), want)
		}
		got := make([]byte, r.Size())
		if n, err := r.ReadAt(got, 0); n != len(got) || (err != nil && err != io.EOF) {
			rt.Fatalf("read: %d, %v", n, err)
		}
		if !bytes.Equal(got[:size], disk) || !imgfmt.IsZero(got[size:]) {
			rt.Fatalf("content differs")
		}
		// qemu-img is slow to start (~20 ms); check every twentieth case.
		if qerr == nil && iter%20 == 0 {
			imgtest.QemuCheckAndCompare(rt, raw, "qcow2", img)
		}
	})
}

// noise is incompressible data from a seed (drawing each byte from rapid would
// make large cases slow).
func noise(seed uint64, n int) []byte {
	b := make([]byte, n)
	var key [32]byte
	key[0], key[1], key[2], key[3] = byte(seed), byte(seed>>8), byte(seed>>16), byte(seed>>24)
	_, _ = rand.NewChaCha8(key).Read(b)
	return b
}
