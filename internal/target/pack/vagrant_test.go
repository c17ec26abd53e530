package pack

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kilnhq/kiln/internal/imgfmt/qcow2"
	"github.com/kilnhq/kiln/internal/imgfmt/vmdk"
)

func readJSON(t *testing.T, p string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", filepath.Base(p), err)
	}
	return v
}

func readString(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestVagrantVirtualBox(t *testing.T) {
	raw := makeRaw(t)
	disk := convert(t, vmdk.Converter{Subformat: vmdk.StreamOptimized}, raw, "disk.vmdk")
	dst := pack(t, writer(VagrantVirtualBox), Input{Machine: testMachine(), Disk: disk}, "x.box")
	run(t, "gzip", "-t", dst) // a box is a tar.gz whatever its extension
	dir, names := untar(t, dst)
	if strings.Join(names, ",") != "metadata.json,Vagrantfile,box.ovf,box-disk001.vmdk" {
		t.Fatalf("members %v", names)
	}
	if meta := readJSON(t, filepath.Join(dir, "metadata.json")); len(meta) != 1 || meta["provider"] != "virtualbox" {
		t.Errorf("metadata.json %v", meta)
	}
	vf := readString(t, filepath.Join(dir, "Vagrantfile"))
	mac := regexp.MustCompile(`config\.vm\.base_mac = "(080027[0-9A-F]{6})"`).FindStringSubmatch(vf)
	if mac == nil || !strings.Contains(vf, "vb.memory = 2048") {
		t.Errorf("Vagrantfile:\n%s", vf)
	}
	if _, err := exec.LookPath("ruby"); err == nil {
		run(t, "ruby", "-c", filepath.Join(dir, "Vagrantfile"))
	}
	env := checkOVF(t, filepath.Join(dir, "box.ovf"), dir)
	if env.Files[0].Href != "box-disk001.vmdk" {
		t.Errorf("box.ovf references %q", env.Files[0].Href)
	}
	checkDisk(t, filepath.Join(dir, "box-disk001.vmdk"), "vmdk", raw)
}

func TestVagrantLibvirt(t *testing.T) {
	raw := makeRaw(t)
	disk := convert(t, qcow2.Converter{}, raw, "disk.qcow2")
	dst := pack(t, writer(VagrantLibvirt), Input{Machine: testMachine(), Disk: disk}, "x.box")
	dir, names := untar(t, dst)
	if strings.Join(names, ",") != "metadata.json,Vagrantfile,box.img" {
		t.Fatalf("members %v", names)
	}
	meta := readJSON(t, filepath.Join(dir, "metadata.json"))
	if meta["provider"] != "libvirt" || meta["format"] != "qcow2" || meta["virtual_size"] != float64(1) {
		t.Errorf("metadata.json %v", meta)
	}
	vf := readString(t, filepath.Join(dir, "Vagrantfile"))
	if !strings.Contains(vf, `libvirt.driver = "kvm"`) || !strings.Contains(vf, "libvirt.memory = 2048") {
		t.Errorf("Vagrantfile:\n%s", vf)
	}
	checkDisk(t, filepath.Join(dir, "box.img"), "qcow2", raw)
}
