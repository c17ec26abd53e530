package vmdk_test

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"

	"github.com/kilnhq/kiln/internal/imgfmt"
	"github.com/kilnhq/kiln/internal/imgfmt/internal/imgtest"
	"github.com/kilnhq/kiln/internal/imgfmt/vmdk"
)

// FuzzOpen: hostile headers, footers, directories, tables and grain streams
// must not panic the reader nor make it allocate in proportion to their claims.
func FuzzOpen(f *testing.F) {
	f.Add([]byte("KDMV"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		r, err := vmdk.Open(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		buf := make([]byte, 192<<10)
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
		if a := after.TotalAlloc - before.TotalAlloc; a > 32<<20 {
			t.Fatalf("allocated %d bytes for a %d-byte input", a, len(data))
		}
	})
}

// TestWriteFuzzSeeds regenerates testdata/fuzz/FuzzOpen; run with KILN_WRITE_SEEDS=1.
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("KILN_WRITE_SEEDS") == "" {
		t.Skip("set KILN_WRITE_SEEDS=1 to regenerate testdata/fuzz/FuzzOpen")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzOpen")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// Two small grains of data on a 200 KiB disk (not grain-aligned).
	raw := imgtest.SparseDisk(t, 200000, imgtest.Write{Off: 1000, Data: imgtest.Pattern(1500, 1)}, imgtest.Write{Off: 150000, Data: imgtest.Random(300)})
	for name, sub := range map[string]vmdk.Subformat{"monolithicSparse": vmdk.MonolithicSparse, "streamOptimized": vmdk.StreamOptimized} {
		out := convert(t, vmdk.Converter{Subformat: sub}, raw, imgfmt.Options{})
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		body := "go test fuzz v1\n[]byte(" + strconv.Quote(string(b)) + ")\n"
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
