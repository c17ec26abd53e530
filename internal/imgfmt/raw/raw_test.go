package raw_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/kilnhq/kiln/internal/imgfmt"
	"github.com/kilnhq/kiln/internal/imgfmt/internal/imgtest"
	"github.com/kilnhq/kiln/internal/imgfmt/raw"
)

func TestSparseCopy(t *testing.T) {
	data := bytes.Repeat([]byte("kiln"), 50000)
	cases := map[string]struct {
		size   int64
		writes []imgtest.Write
	}{
		"empty":        {size: 1 << 30},
		"zero-size":    {size: 0},
		"one-byte":     {size: 1, writes: []imgtest.Write{{Off: 0, Data: []byte{1}}}},
		"data-at-end":  {size: 1<<30 + 333, writes: []imgtest.Write{{Off: 1<<30 + 333 - 200000, Data: data}}},
		"written-zero": {size: 16 << 20, writes: []imgtest.Write{{Off: 1 << 20, Data: make([]byte, 4<<20)}, {Off: 8 << 20, Data: data}}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			src := imgtest.SparseDisk(t, c.size, c.writes...)
			out := filepath.Join(t.TempDir(), "out.raw")
			s, _ := os.Open(src)
			defer s.Close()
			d, _ := os.Create(out)
			defer d.Close()
			if err := raw.Convert(context.Background(), s, d, imgfmt.Options{}); err != nil {
				t.Fatal(err)
			}
			st, _ := d.Stat()
			if st.Size() != c.size {
				t.Fatalf("size %d, want %d", st.Size(), c.size)
			}
			// Only the non-zero data is allocated.
			exts, err := imgfmt.Extents(d)
			if err != nil {
				t.Fatal(err)
			}
			var nonzero int64
			for _, w := range c.writes {
				if !imgfmt.IsZero(w.Data) {
					nonzero += int64(len(w.Data))
				}
			}
			if alloc := imgfmt.TotalLength(exts); alloc > nonzero+2*64<<10 {
				t.Errorf("%d bytes allocated for %d bytes of data", alloc, nonzero)
			}
			imgtest.QemuImg(t, "compare", "-q", "-f", "raw", "-F", "raw", src, out)
		})
	}
}

func TestCompressRefused(t *testing.T) {
	src := imgtest.SparseDisk(t, 1<<20)
	s, _ := os.Open(src)
	defer s.Close()
	d, _ := os.Create(filepath.Join(t.TempDir(), "o"))
	defer d.Close()
	if err := raw.Convert(context.Background(), s, d, imgfmt.Options{Compress: true}); err == nil {
		t.Fatal("compression accepted")
	}
}
