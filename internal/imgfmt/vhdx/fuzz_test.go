package vhdx_test

import (
	"bytes"
	"testing"

	"github.com/kilnhq/kiln/internal/imgfmt/internal/imgtest"
	"github.com/kilnhq/kiln/internal/imgfmt/vhdx"
)

// FuzzOpen: hostile headers, region tables, metadata and BATs must not panic the
// reader nor make it allocate in proportion to their claims.
func FuzzOpen(f *testing.F) {
	// The seed is built here rather than stored: even the most compact VHDX
	// is 320 KiB, mostly zeros, which would quadruple as a corpus file.
	f.Add([]byte("vhdxfile"))
	f.Add(vhdx.CompactSeed())
	imgtest.FuzzReader(f, 4<<20, func(data []byte) (imgtest.Image, int, error) {
		r, err := vhdx.Open(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return nil, 0, err
		}
		return r, 64 << 10, nil
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
