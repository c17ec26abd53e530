package vhdx_test

import (
	"bytes"
	"runtime"
	"testing"

	"github.com/kilnhq/kiln/internal/imgfmt/vhdx"
)

// FuzzOpen: hostile headers, region tables, metadata and BATs must not panic the
// reader nor make it allocate in proportion to their claims.
func FuzzOpen(f *testing.F) {
	// The seed is built here rather than stored: even the most compact VHDX
	// is 320 KiB, mostly zeros, which would quadruple as a corpus file.
	f.Add([]byte("vhdxfile"))
	f.Add(vhdx.CompactSeed())
	f.Fuzz(func(t *testing.T, data []byte) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		r, err := vhdx.Open(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		buf := make([]byte, 64<<10)
		size := r.Size()
		for _, off := range []int64{0, size / 2, size - 1, size - int64(len(buf)), size} {
			if off < 0 {
				continue
			}
			n, err := r.ReadAt(buf, off)
			if n < 0 || n > len(buf) || (err == nil && n != len(buf)) {
				t.Fatalf("ReadAt(%d) = %d, %v", off, n, err)
			}
		}
		runtime.ReadMemStats(&after)
		if a := after.TotalAlloc - before.TotalAlloc; a > 4<<20 {
			t.Fatalf("allocated %d bytes for a %d-byte input", a, len(data))
		}
	})
}

// The compact seed is a real VHDX to our reader, so fuzzing starts from the
// interesting paths.
func TestCompactSeedOpens(t *testing.T) {
	s := vhdx.CompactSeed()
	r, err := vhdx.Open(bytes.NewReader(s), int64(len(s)))
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 8)
	if _, err := r.ReadAt(buf, 0); err != nil || string(buf) != "vhdxfile" {
		t.Fatalf("block 0: %q, %v", buf, err)
	}
	if _, err := r.ReadAt(buf, 2<<20); err == nil {
		t.Fatal("block past the end of the file read without error")
	}
}
