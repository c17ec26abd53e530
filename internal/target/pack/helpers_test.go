package pack

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kilnhq/kiln/internal/imgfmt"
)

const rawSize = 6 << 20 // a few MiB: data blocks, zero blocks and a hole

// makeRaw writes a sparse raw disk with random data at a few offsets, a block
// of explicit zeros and a trailing hole, so converters and packagings see
// every kind of extent.
func makeRaw(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "src.raw")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	for _, off := range []int64{0, 1<<20 + 4096, 3 << 20} {
		b := make([]byte, 300<<10)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		if _, err := f.WriteAt(b, off); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.WriteAt(make([]byte, 64<<10), 2<<20); err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(rawSize); err != nil {
		t.Fatal(err)
	}
	return p
}

// convert writes src through c into a new file of the test's temp dir.
func convert(t *testing.T, c imgfmt.Converter, src, name string) string {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	p := filepath.Join(t.TempDir(), name)
	out, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	if err := c.Convert(context.Background(), in, out, imgfmt.Options{}); err != nil {
		t.Fatalf("convert %s: %v", name, err)
	}
	return p
}

func needTool(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Skipf("%s not installed", name)
	}
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// untar extracts archive with the real tar and returns the directory and the
// member names in archive order.
func untar(t *testing.T, archive string) (string, []string) {
	t.Helper()
	needTool(t, "tar")
	dir := t.TempDir()
	run(t, "tar", "-xf", archive, "-C", dir)
	names := strings.Fields(run(t, "tar", "-tf", archive))
	return dir, names
}

func testMachine() Machine {
	return Machine{Name: "web server", Version: "1.2", MemoryMB: 2048, CPUs: 2, DiskSize: rawSize,
		ModTime: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

// checkDisk asserts that qemu-img reads path as format with the source's
// virtual size and the same content.
func checkDisk(t *testing.T, path, format, raw string) map[string]any {
	t.Helper()
	needTool(t, "qemu-img")
	var info map[string]any
	if err := json.Unmarshal([]byte(run(t, "qemu-img", "info", "-f", format, "--output=json", path)), &info); err != nil {
		t.Fatal(err)
	}
	if info["format"] != format || info["virtual-size"] != float64(rawSize) {
		t.Errorf("qemu-img info %s: format %v, virtual size %v; want %s, %d", filepath.Base(path), info["format"], info["virtual-size"], format, rawSize)
	}
	run(t, "qemu-img", "compare", "-f", "raw", "-F", format, raw, path)
	return info
}

func fileSum(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func mode(t *testing.T, p string) os.FileMode {
	t.Helper()
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return st.Mode()
}

// checkMagic asserts the header format of the first tar member (offset 257 of
// the header: "ustar\x0000" for USTAR, "ustar  \x00" for GNU/oldgnu).
func checkMagic(t *testing.T, archive, magic string) {
	t.Helper()
	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 8)
	if _, err := f.ReadAt(b, 257); err != nil {
		t.Fatal(err)
	}
	if string(b) != magic {
		t.Errorf("tar magic %q, want %q", b, magic)
	}
}
