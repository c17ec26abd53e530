package vdi_test

import (
	"bytes"
	"os"
	"testing"

	"github.com/kilnhq/kiln/internal/imgfmt"
	"github.com/kilnhq/kiln/internal/imgfmt/internal/imgtest"
	"github.com/kilnhq/kiln/internal/imgfmt/vdi"
)

// FuzzOpen: hostile footers, dynamic headers and tables must not panic the
// reader nor make it allocate in proportion to their claims.
func FuzzOpen(f *testing.F) {
	// Seeds live in testdata/fuzz/FuzzOpen (written by TestWriteFuzzSeeds).
	f.Add([]byte("<<< Oracle VM VirtualBox Disk Image >>>\n"))
	imgtest.FuzzReader(f, 4<<20, func(data []byte) (imgtest.Image, int, error) {
		r, err := vdi.Open(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return nil, 0, err
		}
		return r, 64 << 10, nil
	})

}

// TestWriteFuzzSeeds regenerates testdata/fuzz/FuzzOpen; run with
// KILN_WRITE_SEEDS=1. Seeds: the header of an empty disk and, from export_test.go, a disk
// with 4 KiB blocks (ours are 1 MiB), so that the fuzzer starts from a few
// KiB with allocated and zero blocks.
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("KILN_WRITE_SEEDS") == "" {
		t.Skip("set KILN_WRITE_SEEDS=1 to regenerate testdata/fuzz/FuzzOpen")
	}
	seeds := map[string][]byte{"small-blocks": vdi.SmallBlockSeed(imgtest.Pattern(3*4096+100, 5))}
	empty := imgtest.SparseDisk(t, 3<<20)
	b, _ := os.ReadFile(imgtest.ConvertFile(t, vdi.Converter{}, empty, "d.vdi", imgfmt.Options{}))
	seeds["header-only"] = b[:512] // block map beyond the end of the file
	imgtest.WriteSeeds(t, seeds)
}
