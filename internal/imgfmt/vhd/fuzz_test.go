package vhd_test

import (
	"bytes"
	"os"
	"testing"

	"github.com/kilnhq/kiln/internal/imgfmt"
	"github.com/kilnhq/kiln/internal/imgfmt/internal/imgtest"
	"github.com/kilnhq/kiln/internal/imgfmt/vhd"
)

// FuzzOpen: hostile footers, dynamic headers and tables must not panic the
// reader nor make it allocate in proportion to their claims.
func FuzzOpen(f *testing.F) {
	// Seeds live in testdata/fuzz/FuzzOpen (written by TestWriteFuzzSeeds).
	f.Add([]byte("conectix"))
	imgtest.FuzzReader(f, 4<<20, func(data []byte) (imgtest.Image, int, error) {
		r, err := vhd.Open(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return nil, 0, err
		}
		return r, 64 << 10, nil
	})

}

// TestWriteFuzzSeeds regenerates testdata/fuzz/FuzzOpen; run with
// KILN_WRITE_SEEDS=1. Seeds are small: a fixed disk of 3000 bytes, an empty
// dynamic disk, and (from small_seed_test.go) a dynamic disk with 4 KiB blocks.
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("KILN_WRITE_SEEDS") == "" {
		t.Skip("set KILN_WRITE_SEEDS=1 to regenerate testdata/fuzz/FuzzOpen")
	}
	seeds := map[string][]byte{}
	raw := imgtest.SparseDisk(t, 3000, imgtest.Write{Off: 1000, Data: imgtest.Pattern(1500, 1)})
	b, _ := os.ReadFile(imgtest.ConvertFile(t, vhd.Converter{Subformat: vhd.Fixed}, raw, "f.vhd", imgfmt.Options{}))
	seeds["fixed"] = b
	empty := imgtest.SparseDisk(t, 6<<20)
	b, _ = os.ReadFile(imgtest.ConvertFile(t, vhd.Converter{Subformat: vhd.Dynamic}, empty, "d.vhd", imgfmt.Options{}))
	seeds["dynamic-empty"] = b
	seeds["dynamic-4k-blocks"] = vhd.SmallBlockSeed(imgtest.Pattern(3*4096+100, 5))
	imgtest.WriteSeeds(t, seeds)
}
