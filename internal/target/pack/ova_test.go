package pack

import (
	"bufio"
	"context"
	"encoding/xml"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kilnhq/kiln/internal/imgfmt/vmdk"
)

// envelope is the part of OVF 1.0 the structural checks need.
type envelope struct {
	XMLName xml.Name `xml:"http://schemas.dmtf.org/ovf/envelope/1 Envelope"`
	Files   []struct {
		Href string `xml:"http://schemas.dmtf.org/ovf/envelope/1 href,attr"`
		ID   string `xml:"http://schemas.dmtf.org/ovf/envelope/1 id,attr"`
		Size int64  `xml:"http://schemas.dmtf.org/ovf/envelope/1 size,attr"`
	} `xml:"References>File"`
	Disks []struct {
		Capacity int64  `xml:"http://schemas.dmtf.org/ovf/envelope/1 capacity,attr"`
		DiskID   string `xml:"http://schemas.dmtf.org/ovf/envelope/1 diskId,attr"`
		FileRef  string `xml:"http://schemas.dmtf.org/ovf/envelope/1 fileRef,attr"`
		Format   string `xml:"http://schemas.dmtf.org/ovf/envelope/1 format,attr"`
	} `xml:"DiskSection>Disk"`
	Networks []struct {
		Name string `xml:"http://schemas.dmtf.org/ovf/envelope/1 name,attr"`
	} `xml:"NetworkSection>Network"`
	System struct {
		ID   string `xml:"http://schemas.dmtf.org/ovf/envelope/1 id,attr"`
		Name string `xml:"Name"`
		OS   struct {
			ID     string `xml:"http://schemas.dmtf.org/ovf/envelope/1 id,attr"`
			OSType string `xml:"http://www.vmware.com/schema/ovf osType,attr"`
		} `xml:"OperatingSystemSection"`
		Product struct {
			Product string `xml:"Product"`
			Version string `xml:"Version"`
		} `xml:"ProductSection"`
		HW struct {
			SystemType string `xml:"System>VirtualSystemType"`
			Items      []struct {
				InstanceID      string `xml:"InstanceID"`
				ResourceType    int    `xml:"ResourceType"`
				ResourceSubType string `xml:"ResourceSubType"`
				Parent          string `xml:"Parent"`
				HostResource    string `xml:"HostResource"`
				Connection      string `xml:"Connection"`
				VirtualQuantity int64  `xml:"VirtualQuantity"`
				AllocationUnits string `xml:"AllocationUnits"`
			} `xml:"Item"`
			Config []struct {
				Key   string `xml:"http://www.vmware.com/schema/ovf key,attr"`
				Value string `xml:"http://www.vmware.com/schema/ovf value,attr"`
			} `xml:"http://www.vmware.com/schema/ovf Config"`
		} `xml:"VirtualHardwareSection"`
	} `xml:"VirtualSystem"`
}

// checkOVF parses an OVF descriptor back and checks that every reference in
// it resolves: files exist in dir with their declared size, disks point at
// files, items at controllers, disks and networks. It returns the envelope for
// content checks.
func checkOVF(t *testing.T, path, dir string) envelope {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("xmllint"); err == nil {
		run(t, "xmllint", "--noout", path) // well-formed, namespaces declared
	}
	var env envelope
	if err := xml.Unmarshal(b, &env); err != nil {
		t.Fatalf("parse %s: %v", filepath.Base(path), err)
	}
	files := map[string]bool{}
	for _, f := range env.Files {
		files[f.ID] = true
		st, err := os.Stat(filepath.Join(dir, f.Href))
		if err != nil {
			t.Errorf("File %s: %v", f.Href, err)
		} else if st.Size() != f.Size {
			t.Errorf("File %s: ovf:size %d, file has %d bytes", f.Href, f.Size, st.Size())
		}
	}
	disks := map[string]bool{}
	for _, d := range env.Disks {
		disks["ovf:/disk/"+d.DiskID] = true
		if !files[d.FileRef] {
			t.Errorf("Disk %s: fileRef %q is not a File", d.DiskID, d.FileRef)
		}
		if d.Capacity != rawSize || d.Format != VMDKStreamFormat {
			t.Errorf("Disk %s: capacity %d format %q", d.DiskID, d.Capacity, d.Format)
		}
	}
	nets := map[string]bool{}
	for _, n := range env.Networks {
		nets[n.Name] = true
	}
	ids := map[string]int{}
	for _, it := range env.System.HW.Items {
		if _, dup := ids[it.InstanceID]; dup {
			t.Errorf("InstanceID %s used twice", it.InstanceID)
		}
		ids[it.InstanceID] = it.ResourceType
	}
	for _, it := range env.System.HW.Items {
		if it.Parent != "" && ids[it.Parent] != 6 && ids[it.Parent] != 20 {
			t.Errorf("item %s: parent %s is not a disk controller", it.InstanceID, it.Parent)
		}
		if it.ResourceType == 17 && !disks[it.HostResource] {
			t.Errorf("item %s: HostResource %q is not a disk", it.InstanceID, it.HostResource)
		}
		if it.ResourceType == 10 && !nets[it.Connection] {
			t.Errorf("item %s: Connection %q is not a network", it.InstanceID, it.Connection)
		}
	}
	return env
}

// item returns the first virtual hardware item of a CIM resource type.
func (e envelope) quantity(t *testing.T, rtype int) int64 {
	t.Helper()
	for _, it := range e.System.HW.Items {
		if it.ResourceType == rtype {
			return it.VirtualQuantity
		}
	}
	t.Fatalf("no item of resource type %d", rtype)
	return 0
}

// checkManifest verifies every "SHA256(file)= hex" line against the files in
// dir, and with sha256sum -c once rewritten to coreutils' format.
func checkManifest(t *testing.T, mf, dir string, want []string) {
	t.Helper()
	f, err := os.Open(mf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	line := regexp.MustCompile(`^SHA256\(([^)]+)\)= ([0-9a-f]{64})$`)
	var listed []string
	var coreutils strings.Builder
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		m := line.FindStringSubmatch(sc.Text())
		if m == nil {
			t.Fatalf("manifest line %q", sc.Text())
		}
		listed = append(listed, m[1])
		if got := fileSum(t, filepath.Join(dir, m[1])); got != m[2] {
			t.Errorf("manifest: %s has sha256 %s, listed %s", m[1], got, m[2])
		}
		fmt.Fprintf(&coreutils, "%s  %s\n", m[2], m[1])
	}
	if strings.Join(listed, ",") != strings.Join(want, ",") {
		t.Errorf("manifest lists %v, want %v", listed, want)
	}
	if _, err := exec.LookPath("sha256sum"); err == nil {
		sums := filepath.Join(t.TempDir(), "SHA256SUMS")
		if err := os.WriteFile(sums, []byte(coreutils.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("sha256sum", "-c", sums)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("sha256sum -c: %v\n%s", err, out)
		}
	}
}

func TestOVA(t *testing.T) {
	raw := makeRaw(t)
	disk := convert(t, vmdk.Converter{Subformat: vmdk.StreamOptimized}, raw, "disk.vmdk")
	dst := filepath.Join(t.TempDir(), "out.ova")
	f, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	var last int64
	in := Input{Machine: testMachine(), Disk: disk, Progress: func(done, total int64) { last = done }}
	if err := OVA(context.Background(), f, in); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(disk); last != st.Size() {
		t.Errorf("progress ended at %d of %d bytes", last, st.Size())
	}

	dir, names := untar(t, dst)
	want := []string{"web-server.ovf", "web-server.mf", "web-server-disk1.vmdk"}
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Fatalf("members %v, want %v", names, want)
	}
	if out := run(t, "tar", "-tvf", dst); !strings.Contains(out, "2026-01-02") {
		t.Errorf("member times not kept:\n%s", out)
	}
	checkMagic(t, dst, "ustar\x0000") // POSIX USTAR, what OVF importers accept
	checkManifest(t, filepath.Join(dir, want[1]), dir, []string{want[0], want[2]})
	env := checkOVF(t, filepath.Join(dir, want[0]), dir)
	if env.System.HW.SystemType != "vmx-11" {
		t.Errorf("VirtualSystemType %q, want vmx-11 by default", env.System.HW.SystemType)
	}
	if env.System.OS.ID != "96" || env.System.OS.OSType != "debian11_64Guest" {
		t.Errorf("OS %+v", env.System.OS)
	}
	if env.System.Name != "web-server" || env.System.Product.Version != "1.2" {
		t.Errorf("name %q version %q", env.System.Name, env.System.Product.Version)
	}
	if cpu, mem := env.quantity(t, 3), env.quantity(t, 4); cpu != 2 || mem != 2048 {
		t.Errorf("cpus %d memory %d", cpu, mem)
	}
	if len(env.System.HW.Config) != 0 {
		t.Errorf("BIOS machine declares %+v", env.System.HW.Config)
	}
	info := checkDisk(t, filepath.Join(dir, want[2]), "vmdk", raw)
	if fs, _ := info["format-specific"].(map[string]any); fs != nil {
		if d, _ := fs["data"].(map[string]any); d == nil || d["create-type"] != "streamOptimized" {
			t.Errorf("extracted disk is not streamOptimized: %v", fs)
		}
	}
}

func TestOVFVariants(t *testing.T) {
	m := testMachine()
	m.HWType, m.Controller, m.NIC, m.Firmware = 14, ControllerSATA, NICVmxNet3, FirmwareEFI
	b, err := OVF(m, "a&b.vmdk", 42)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "x.ovf")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	var env envelope
	if err := xml.Unmarshal(b, &env); err != nil {
		t.Fatal(err)
	}
	if env.Files[0].Href != "a&b.vmdk" || env.System.HW.SystemType != "vmx-14" {
		t.Errorf("href %q system %q", env.Files[0].Href, env.System.HW.SystemType)
	}
	subs := map[int]string{}
	for _, it := range env.System.HW.Items {
		subs[it.ResourceType] = it.ResourceSubType
	}
	if subs[20] != "AHCI" || subs[10] != "VmxNet3" || subs[6] != "" {
		t.Errorf("sub types %v", subs)
	}
	if len(env.System.HW.Config) != 1 || env.System.HW.Config[0].Value != "efi" {
		t.Errorf("firmware config %+v", env.System.HW.Config)
	}
	m.HWType = 7
	if _, err := OVF(m, "d.vmdk", 1); err == nil {
		t.Error("SATA on vmx-07 accepted")
	}
}

func TestMachineRejectsBadInput(t *testing.T) {
	for _, m := range []Machine{
		{DiskSize: 0},
		{DiskSize: 1, CPUs: 3},
		{DiskSize: 1, CPUs: -1},
		{DiskSize: 1, MemoryMB: -5},
		{DiskSize: 1, HWType: 3},
		{DiskSize: 1, Firmware: "coreboot"},
		{DiskSize: 1, NIC: "rtl8139"},
	} {
		if _, err := m.normalized(); err == nil {
			t.Errorf("%+v accepted", m)
		}
	}
	for in, want := range map[string]int{"": 11, "7": 7, "vmx-09": 9, " 11 ": 11} {
		if got, err := ParseHWType(in); err != nil || got != want {
			t.Errorf("ParseHWType(%q) = %d, %v", in, got, err)
		}
	}
	for _, in := range []string{"x", "3", "99", "-7"} {
		if _, err := ParseHWType(in); err == nil {
			t.Errorf("ParseHWType(%q) accepted", in)
		}
	}
}
