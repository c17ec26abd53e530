package imgtest

import (
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
)

// FuzzReader is the body of every format's FuzzOpen: open (a format's reader
// over hostile bytes, with the read length to try) must not panic, reads at
// the edges of the disk must honour io.ReaderAt, and the input must not make
// the reader allocate more than maxAlloc bytes, whatever its header claims.
func FuzzReader(f *testing.F, maxAlloc uint64, open func(data []byte) (r Image, readLen int, err error)) {
	f.Fuzz(func(t *testing.T, data []byte) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		r, readLen, err := open(data)
		if err != nil {
			return
		}
		buf := make([]byte, readLen)
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
		if a := after.TotalAlloc - before.TotalAlloc; a > maxAlloc {
			t.Fatalf("allocated %d bytes for a %d-byte input", a, len(data))
		}
	})
}

// WriteSeeds writes seeds into testdata/fuzz/FuzzOpen in go test's corpus format.
func WriteSeeds(t testing.TB, seeds map[string][]byte) {
	t.Helper()
	dir := filepath.Join("testdata", "fuzz", "FuzzOpen")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, b := range seeds {
		body := "go test fuzz v1\n[]byte(" + strconv.Quote(string(b)) + ")\n"
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
