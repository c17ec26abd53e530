package generate

import (
	"context"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kilnhq/kiln/internal/spec"
)

// TestPlainDiskOutputs runs the output step alone for the formats that are a
// bare disk: the artifact (gunzipped when compressed) must hold the same disk
// as the raw source, by qemu-img's reading.
func TestPlainDiskOutputs(t *testing.T) {
	if _, err := exec.LookPath("qemu-img"); err != nil {
		t.Skip("qemu-img not installed")
	}
	raw := filepath.Join(t.TempDir(), "disk.raw")
	data := make([]byte, 256<<10)
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	if err := os.WriteFile(raw, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(raw, 8<<20); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		compress bool
		ext      string
		format   string
	}{
		{"VHD", false, ".vhd", "vpc"},
		{"VHD", true, ".vhd.gz", "vpc"},
		{"Citrix Xen Server", false, ".vhd", "vpc"},
		{"Hyper-V", false, ".vhdx", "vhdx"},
		{"Hyper-V", true, ".vhdx.gz", "vhdx"},
		{"Xen", true, ".raw.gz", "raw"},
		{"Amazon AWS", false, ".raw", "raw"},
		{"Microsoft Azure", false, ".vhd", "vpc"},
		{"OpenStack VMDK", false, ".vmdk", "vmdk"},
		{"OpenStack VDI", true, ".vdi.gz", "vdi"},
		{"CloudStack Citrix Xen (VHD)", false, ".vhd", "vpc"},
	} {
		t.Run(tc.name+tc.ext, func(t *testing.T) {
			a := artifactFor(t, spec.Output{Format: tc.name, Compress: tc.compress}, 8<<20)
			if a.FileName != "img-1.0"+tc.ext || a.Kind != tc.format {
				t.Fatalf("file %q of kind %q, want img-1.0%s of kind %s", a.FileName, a.Kind, tc.ext, tc.format)
			}
			dst := filepath.Join(t.TempDir(), a.FileName)
			last := -1
			if err := writeFromDisk(context.Background(), a, raw, dst, func(p int, _ string) {
				if p < last {
					t.Errorf("progress went back from %d to %d", last, p)
				}
				last = p
			}); err != nil {
				t.Fatal(err)
			}
			disk := dst
			if strings.HasSuffix(dst, ".gz") {
				disk = strings.TrimSuffix(dst, ".gz")
				if b, err := exec.Command("gzip", "-dk", dst).CombinedOutput(); err != nil {
					t.Fatalf("gunzip: %v %s", err, b)
				}
			}
			if b, err := exec.Command("qemu-img", "compare", "-f", "raw", "-F", tc.format, raw, disk).CombinedOutput(); err != nil {
				t.Fatalf("qemu-img compare: %v %s", err, b)
			}
			if _, err := os.Stat(dst + ".disk"); !os.IsNotExist(err) {
				t.Fatal("temporary disk left behind")
			}
		})
	}
}
