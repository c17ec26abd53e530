package vhd_test

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
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
	f.Fuzz(func(t *testing.T, data []byte) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		r, err := vhd.Open(bytes.NewReader(data), int64(len(data)))
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

// TestWriteFuzzSeeds regenerates testdata/fuzz/FuzzOpen; run with
// KILN_WRITE_SEEDS=1. Seeds are small: a fixed disk of 3000 bytes, an empty
// dynamic disk, and (from small_seed_test.go) a dynamic disk with 4 KiB blocks.
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("KILN_WRITE_SEEDS") == "" {
		t.Skip("set KILN_WRITE_SEEDS=1 to regenerate testdata/fuzz/FuzzOpen")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzOpen")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	seeds := map[string][]byte{}
	raw := imgtest.SparseDisk(t, 3000, imgtest.Write{Off: 1000, Data: imgtest.Pattern(1500, 1)})
	b, _ := os.ReadFile(imgtest.ConvertFile(t, vhd.Converter{Subformat: vhd.Fixed}, raw, "f.vhd", imgfmt.Options{}))
	seeds["fixed"] = b
	empty := imgtest.SparseDisk(t, 6<<20)
	b, _ = os.ReadFile(imgtest.ConvertFile(t, vhd.Converter{Subformat: vhd.Dynamic}, empty, "d.vhd", imgfmt.Options{}))
	seeds["dynamic-empty"] = b
	seeds["dynamic-4k-blocks"] = vhd.SmallBlockSeed(imgtest.Pattern(3*4096+100, 5))
	for name, b := range seeds {
		body := "go test fuzz v1\n[]byte(" + strconv.Quote(string(b)) + ")\n"
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
