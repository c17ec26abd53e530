package vdi_test

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
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
	f.Fuzz(func(t *testing.T, data []byte) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		r, err := vdi.Open(bytes.NewReader(data), int64(len(data)))
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
// KILN_WRITE_SEEDS=1. Seeds: the header of an empty disk and, from export_test.go, a disk
// with 4 KiB blocks (ours are 1 MiB), so that the fuzzer starts from a few
// KiB with allocated and zero blocks.
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("KILN_WRITE_SEEDS") == "" {
		t.Skip("set KILN_WRITE_SEEDS=1 to regenerate testdata/fuzz/FuzzOpen")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzOpen")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	seeds := map[string][]byte{"small-blocks": vdi.SmallBlockSeed(imgtest.Pattern(3*4096+100, 5))}
	empty := imgtest.SparseDisk(t, 3<<20)
	b, _ := os.ReadFile(imgtest.ConvertFile(t, vdi.Converter{}, empty, "d.vdi", imgfmt.Options{}))
	seeds["header-only"] = b[:512] // block map beyond the end of the file
	for name, b := range seeds {
		body := "go test fuzz v1\n[]byte(" + strconv.Quote(string(b)) + ")\n"
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
