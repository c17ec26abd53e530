package vmdk_test

import (
	"bytes"
	"os"
	"testing"

	"github.com/kilnhq/kiln/internal/imgfmt"
	"github.com/kilnhq/kiln/internal/imgfmt/internal/imgtest"
	"github.com/kilnhq/kiln/internal/imgfmt/vmdk"
)

// FuzzOpen: hostile headers, footers, directories, tables and grain streams
// must not panic the reader nor make it allocate in proportion to their claims.
func FuzzOpen(f *testing.F) {
	f.Add([]byte("KDMV"))
	imgtest.FuzzReader(f, 32<<20, func(data []byte) (imgtest.Image, int, error) {
		r, err := vmdk.Open(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return nil, 0, err
		}
		return r, 192 << 10, nil
	})

}

// TestWriteFuzzSeeds regenerates testdata/fuzz/FuzzOpen; run with KILN_WRITE_SEEDS=1.
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("KILN_WRITE_SEEDS") == "" {
		t.Skip("set KILN_WRITE_SEEDS=1 to regenerate testdata/fuzz/FuzzOpen")
	}
	// Two small grains of data on a 200 KiB disk (not grain-aligned).
	raw := imgtest.SparseDisk(t, 200000, imgtest.Write{Off: 1000, Data: imgtest.Pattern(1500, 1)}, imgtest.Write{Off: 150000, Data: imgtest.Random(300)})
	seeds := map[string][]byte{}
	for name, sub := range map[string]vmdk.Subformat{"monolithicSparse": vmdk.MonolithicSparse, "streamOptimized": vmdk.StreamOptimized} {
		out := convert(t, vmdk.Converter{Subformat: sub}, raw, imgfmt.Options{})
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		seeds[name] = b
	}
	imgtest.WriteSeeds(t, seeds)
}
