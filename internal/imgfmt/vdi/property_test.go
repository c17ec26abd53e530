package vdi_test

import (
	"os"
	"testing"

	"pgregory.net/rapid"

	"github.com/kilnhq/kiln/internal/imgfmt/internal/imgtest"
	"github.com/kilnhq/kiln/internal/imgfmt/vdi"
)

// Random sparse disks round-trip through our writer and reader (see
// imgtest.RoundTripProperty). Up to a few 1 MiB blocks, so block boundaries and partial last blocks are crossed often.
func TestPropertyRoundTrip(t *testing.T) {
	imgtest.RoundTripProperty(t, imgtest.Format{
		Name: "vdi", MaxSize: 7 << 20, NoCheck: false,
		Writer: func(rt *rapid.T) imgtest.Writer {
			return vdi.Converter{}
		},
		Open: func(f *os.File, size int64) (imgtest.Image, error) { return vdi.Open(f, size) },
	})
}
