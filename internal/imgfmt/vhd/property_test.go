package vhd_test

import (
	"os"
	"path/filepath"
	"testing"

	"pgregory.net/rapid"

	"github.com/kilnhq/kiln/internal/imgfmt/internal/imgtest"
	"github.com/kilnhq/kiln/internal/imgfmt/vhd"
)

// Random sparse disks round-trip through our writer and reader (see
// imgtest.RoundTripProperty). Both subformats and both size policies; up to a few 2 MiB blocks.
func TestPropertyRoundTrip(t *testing.T) {
	imgtest.RoundTripProperty(t, imgtest.Format{
		Name: "vpc", MaxSize: 7 << 20, NoCheck: true,
		Writer: func(rt *rapid.T) imgtest.Writer {
			return vhd.Converter{
				Subformat: rapid.SampledFrom([]vhd.Subformat{vhd.Fixed, vhd.Dynamic}).Draw(rt, "subformat"),
				AlignMiB:  rapid.Bool().Draw(rt, "alignMiB"),
			}
		},
		Open: func(f *os.File, size int64) (imgtest.Image, error) { return vhd.Open(f, size) },
	})
}

// Our reader reads what qemu-img writes (fixed with force_size, dynamic), so
// it is an independent check of our writer, not a mirror of it.
func TestReadsQemuImages(t *testing.T) {
	imgtest.NeedTool(t, "qemu-img")
	size := int64(9<<20 + 4096)
	raw := imgtest.SparseDisk(t, size, imgtest.Write{Off: 100, Data: imgtest.Pattern(5000, 2)},
		imgtest.Write{Off: 4<<20 - 10, Data: imgtest.Random(70000)}, imgtest.Write{Off: size - 700, Data: imgtest.Pattern(700, 9)})
	for _, opt := range []string{"subformat=fixed,force_size=on", "subformat=dynamic,force_size=on"} {
		out := filepath.Join(t.TempDir(), "q.vhd")
		imgtest.QemuImg(t, "convert", "-f", "raw", "-O", "vpc", "-o", opt, raw, out)
		r := openReader(t, out)
		if r.Size() != size {
			t.Errorf("%s: size %d, want %d", opt, r.Size(), size)
		}
		imgtest.SameContent(t, raw, r, r.Size())
	}
}
