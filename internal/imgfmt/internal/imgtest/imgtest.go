// Package imgtest holds the test fixtures shared by the format packages: sparse
// raw disks, ext4 images and qemu-img as the oracle.
package imgtest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/kilnhq/kiln/internal/run"
)

// Write is data placed at an offset of a sparse disk.
type Write struct {
	Off  int64
	Data []byte
}

// SparseDisk creates a sparse raw disk of the given size holding writes.
func SparseDisk(t testing.TB, size int64, writes ...Write) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "disk.raw")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	for _, w := range writes {
		if _, err := f.WriteAt(w.Data, w.Off); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

// T is the part of testing.TB the qemu helpers use; *rapid.T implements it too.
type T interface {
	Helper()
	Fatalf(format string, args ...any)
	Skipf(format string, args ...any)
}

// NeedTool skips the test when a command is not installed.
func NeedTool(t T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Skipf("%s not installed", name)
	}
}

// Ext4Disk makes a raw disk of the given size holding an ext4 filesystem
// populated from dir with mkfs.ext4 -d.
func Ext4Disk(t testing.TB, size int64, dir string) string {
	t.Helper()
	NeedTool(t, "mkfs.ext4")
	path := filepath.Join(t.TempDir(), "ext4.raw")
	err := run.Run(context.Background(), run.Cmd{
		Name: "mkfs.ext4",
		Args: []string{"-q", "-F", "-d", dir, "-E", "root_owner=0:0", path, fmt.Sprintf("%dk", size>>10)},
	})
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// QemuImg runs qemu-img and fails the test on error.
func QemuImg(t T, args ...string) []byte {
	t.Helper()
	NeedTool(t, "qemu-img")
	out, err := run.Output(context.Background(), run.Cmd{Name: "qemu-img", Args: args})
	if err != nil {
		t.Fatalf("qemu-img %v: %v\n%s", args, err, out)
	}
	return out
}

// Info is the part of `qemu-img info --output=json` the tests look at.
type Info struct {
	Format      string `json:"format"`
	VirtualSize int64  `json:"virtual-size"`
	ActualSize  int64  `json:"actual-size"`
	ClusterSize int64  `json:"cluster-size"`
	Specific    struct {
		Type string `json:"type"`
		Data struct {
			Compat          string `json:"compat"`
			CompressionType string `json:"compression-type"`
			RefcountBits    int    `json:"refcount-bits"`
			Corrupt         bool   `json:"corrupt"`
		} `json:"data"`
	} `json:"format-specific"`
}

// QemuInfo runs qemu-img info on an image of the given format.
func QemuInfo(t T, format, path string) Info {
	t.Helper()
	out := QemuImg(t, "info", "-f", format, "--output=json", path)
	var info Info
	if err := json.Unmarshal(out, &info); err != nil {
		t.Fatalf("qemu-img info output: %v\n%s", err, out)
	}
	return info
}

// QemuCheckAndCompare asserts that qemu-img check finds no error in img and
// that img has the same content as the raw disk.
func QemuCheckAndCompare(t T, raw, format, img string) {
	t.Helper()
	QemuImg(t, "check", "-f", format, img)
	QemuImg(t, "compare", "-q", "-f", "raw", "-F", format, raw, img)
}
