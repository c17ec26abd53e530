package vhdx_test

import (
	"os"
	"testing"

	"pgregory.net/rapid"

	"github.com/kilnhq/kiln/internal/imgfmt/internal/imgtest"
	"github.com/kilnhq/kiln/internal/imgfmt/vhdx"
)

// Random sparse disks round-trip through our writer and reader (see
// imgtest.RoundTripProperty). Block sizes of 1, 2 and 32 MiB; up to a few blocks.
func TestPropertyRoundTrip(t *testing.T) {
	imgtest.RoundTripProperty(t, imgtest.Format{
		Name: "vhdx", MaxSize: 7 << 20, NoCheck: false,
		Writer: func(rt *rapid.T) imgtest.Writer {
			return vhdx.Converter{BlockSizeMiB: rapid.SampledFrom([]int{1, 2, 32}).Draw(rt, "blockMiB")}
		},
		Open: func(f *os.File, size int64) (imgtest.Image, error) { return vhdx.Open(f, size) },
	})
}
