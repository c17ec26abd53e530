package generate

import (
	"context"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kilnhq/kiln/internal/plan"
	"github.com/kilnhq/kiln/internal/spec"
)

// TestPackagedOutputs runs the output step alone (no bootstrap) for every
// packaged format: resolve the name, write from a synthetic raw disk, then
// unpack with the real tar and compare the disk inside with qemu-img.
func TestPackagedOutputs(t *testing.T) {
	for _, tool := range []string{"tar", "qemu-img"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	raw := filepath.Join(t.TempDir(), "disk.raw")
	data := make([]byte, 512<<10)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	if err := os.WriteFile(raw, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(raw, 4<<20); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		compress bool
		ext      string
		members  []string // in archive order
		disk     string   // member holding the disk
		format   string   // its qemu-img format
	}{
		{"VirtualBox", true, ".ova", []string{"img-1.0.ovf", "img-1.0.mf", "img-1.0-disk1.vmdk"}, "img-1.0-disk1.vmdk", "vmdk"},
		{"OVF or OVA", false, ".ova", []string{"img-1.0.ovf", "img-1.0.mf", "img-1.0-disk1.vmdk"}, "img-1.0-disk1.vmdk", "vmdk"},
		{"VMware vCenter", false, ".ova", []string{"img-1.0.ovf", "img-1.0.mf", "img-1.0-disk1.vmdk"}, "img-1.0-disk1.vmdk", "vmdk"},
		{"CloudStack VMware (OVA)", true, ".ova", []string{"img-1.0.ovf", "img-1.0.mf", "img-1.0-disk1.vmdk"}, "img-1.0-disk1.vmdk", "vmdk"},
		{"VMware Server", true, ".tar.gz", []string{"img-1.0.vmx", "img-1.0.vmdk"}, "img-1.0.vmdk", "vmdk"},
		{"vmware", false, ".tar", []string{"img-1.0.vmx", "img-1.0.vmdk"}, "img-1.0.vmdk", "vmdk"},
		{"KVM", true, ".tar.gz", []string{"run.sh", "img-1.0.qcow2"}, "img-1.0.qcow2", "qcow2"},
		{"kvm", false, ".tar", []string{"run.sh", "img-1.0.qcow2"}, "img-1.0.qcow2", "qcow2"},
		{"Vagrant Base Box", true, ".box", []string{"metadata.json", "Vagrantfile", "box.ovf", "box-disk001.vmdk"}, "box-disk001.vmdk", "vmdk"},
		{"Google Compute Engine", true, ".tar.gz", []string{"disk.raw"}, "disk.raw", "raw"},
		{"google", false, ".tar.gz", []string{"disk.raw"}, "disk.raw", "raw"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := artifactFor(t, spec.Output{Format: tc.name, Compress: tc.compress, MemoryMB: 512, HWType: "9"}, 4<<20)
			if a.FileName != "img-1.0"+tc.ext {
				t.Errorf("file name %q, want img-1.0%s", a.FileName, tc.ext)
			}
			// Run writes the file under its planned name + ".partial".
			dst := filepath.Join(t.TempDir(), a.FileName+".partial")
			last := -1
			err := writeFromDisk(context.Background(), a, raw, dst, func(p int, _ string) {
				if p < last || p > 100 {
					t.Errorf("progress %d after %d", p, last)
				}
				last = p
			})
			if err != nil {
				t.Fatal(err)
			}
			if last != 100 {
				t.Errorf("progress ended at %d", last)
			}
			if left, _ := filepath.Glob(filepath.Join(filepath.Dir(raw), ".pack-*")); len(left) > 0 {
				t.Errorf("temporary disks left: %v", left)
			}
			dir := t.TempDir()
			if b, err := exec.Command("tar", "-xf", dst, "-C", dir).CombinedOutput(); err != nil {
				t.Fatalf("tar -x: %v\n%s", err, b)
			}
			list, err := exec.Command("tar", "-tf", dst).Output()
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(strings.Fields(string(list)), ","); got != strings.Join(tc.members, ",") {
				t.Errorf("members %s, want %v", got, tc.members)
			}
			if b, err := exec.Command("qemu-img", "compare", "-f", "raw", "-F", tc.format, raw,
				filepath.Join(dir, tc.disk)).CombinedOutput(); err != nil {
				t.Errorf("qemu-img compare: %v\n%s", err, b)
			}
			if strings.HasSuffix(tc.members[0], ".ovf") || tc.name == "Vagrant Base Box" {
				ovf := filepath.Join(dir, tc.members[0])
				if tc.name == "Vagrant Base Box" {
					ovf = filepath.Join(dir, "box.ovf")
				}
				b, err := os.ReadFile(ovf)
				if err != nil {
					t.Fatal(err)
				}
				for _, want := range []string{"<rasd:VirtualQuantity>512</rasd:VirtualQuantity>", "vmx-09", `ovf:capacity="4194304"`} {
					if !strings.Contains(string(b), want) {
						t.Errorf("OVF lacks %s", want)
					}
				}
			}
		})
	}
}

func TestPackagedOutputRejectsBadHWType(t *testing.T) {
	_, err := plan.New(&spec.Spec{Distribution: spec.Distribution{Release: "12"}, Output: spec.Output{Format: "OVF or OVA", HWType: "eleven"}}, plan.Options{})
	if err == nil || !strings.Contains(err.Error(), "output.hwType") {
		t.Errorf("hwType eleven: %v", err)
	}
}
