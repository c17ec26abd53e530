package target

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kilnhq/kiln/internal/uforge/xsdtest"
)

// xsdEnum returns the enumeration values of element elem inside complexType typ.
func xsdEnum(t *testing.T, typ, elem string) map[string]bool {
	t.Helper()
	xsdPath := xsdtest.Schema(t) // the UForge schema shipped with the reference docs
	f, err := os.Open(xsdPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	type enumeration struct {
		Value string `xml:"value,attr"`
	}
	type element struct {
		Name  string        `xml:"name,attr"`
		Enums []enumeration `xml:"simpleType>restriction>enumeration"`
	}
	type complexType struct {
		Name  string    `xml:"name,attr"`
		Elems []element `xml:"complexContent>extension>sequence>element"`
	}
	var schema struct {
		Types []complexType `xml:"complexType"`
	}
	if err := xml.NewDecoder(f).Decode(&schema); err != nil {
		t.Fatalf("parse %s: %v", filepath.Base(xsdPath), err)
	}
	for _, ct := range schema.Types {
		if ct.Name != typ {
			continue
		}
		for _, e := range ct.Elems {
			if e.Name == elem {
				out := map[string]bool{}
				for _, v := range e.Enums {
					out[v.Value] = true
				}
				if len(out) == 0 {
					t.Fatalf("%s.%s has no enumeration", typ, elem)
				}
				return out
			}
		}
	}
	t.Fatalf("%s.%s not found in the XSD", typ, elem)
	return nil
}

func TestPrimitivesAndAccountTypesAreXSDEnums(t *testing.T) {
	formats := xsdEnum(t, "ImageFormat", "name")
	accounts := xsdEnum(t, "TargetFormat", "credAccountType")
	types := xsdEnum(t, "TargetFormat", "type")
	for _, f := range All() {
		if !formats[f.Format] {
			t.Errorf("%q: primitive %q is not an ImageFormat.name", f.Name, f.Format)
		}
		if f.CredAccountType != "" && !accounts[f.CredAccountType] {
			t.Errorf("%q: credAccountType %q is not in the XSD", f.Name, f.CredAccountType)
		}
		if !types[string(f.Type)] {
			t.Errorf("%q: type %q is not in the XSD", f.Name, f.Type)
		}
	}
}

// defaultNames is contract §9.2: hammr's default builder type names.
var defaultNames = map[Category][]string{
	CategoryVirtual: {"QCOW2", "KVM", "VirtualBox", "VMware Server", "VMware vCenter", "OVF or OVA",
		"Raw Virtual Disk", "VHD", "Xen", "Citrix Xen Server", "Hyper-V", "Vagrant Base Box"},
	CategoryCloud: {"Amazon AWS", "Microsoft Azure", "Google Compute Engine", "OpenStack QCOW2",
		"OpenStack VMDK", "OpenStack VHD", "OpenStack VDI", "CloudStack KVM (QCOW2)",
		"CloudStack Citrix Xen (VHD)", "CloudStack VMware (OVA)", "VMware vCloud Director",
		"Fujitsu K5", "Oracle Cloud", "Outscale", "SUSE Cloud", "OpenShift"},
	CategoryContainer: {"Docker", "LXC Container"},
	CategoryPhysical:  {"ISO", "PXE"},
}

func TestEveryDefaultNamePresentInItsCategory(t *testing.T) {
	n := 0
	for cat, names := range defaultNames {
		for _, name := range names {
			n++
			f, ok := ByName(name)
			if !ok {
				t.Errorf("default target format %q missing", name)
				continue
			}
			if f.Name != name {
				t.Errorf("ByName(%q) = %q, want the exact row", name, f.Name)
			}
			if f.Category != cat {
				t.Errorf("%q: category %q, want %q", name, f.Category, cat)
			}
		}
	}
	if got := len(All()); got != n {
		t.Errorf("table has %d rows, contract §9.2 lists %d names", got, n)
	}
}

// stableIDs pins the IDs already handed out: stored specs and images refer to them.
var stableIDs = map[int64]string{
	1: "QCOW2", 2: "KVM", 3: "VirtualBox", 4: "VMware Server", 5: "VMware vCenter", 6: "OVF or OVA",
	7: "Raw Virtual Disk", 8: "VHD", 9: "Xen", 10: "Citrix Xen Server", 11: "Hyper-V", 12: "Vagrant Base Box",
	13: "Amazon AWS", 14: "Microsoft Azure", 15: "Google Compute Engine", 16: "OpenStack QCOW2",
	17: "OpenStack VMDK", 18: "OpenStack VHD", 19: "OpenStack VDI", 20: "CloudStack KVM (QCOW2)",
	21: "CloudStack Citrix Xen (VHD)", 22: "CloudStack VMware (OVA)", 23: "VMware vCloud Director",
	24: "Fujitsu K5", 25: "Oracle Cloud", 26: "Outscale", 27: "SUSE Cloud", 28: "OpenShift",
	29: "Docker", 30: "LXC Container", 31: "ISO", 32: "PXE",
}

func TestIDsAndNamesUniqueAndStable(t *testing.T) {
	ids := map[int64]bool{}
	names := map[string]bool{}
	prims := map[string]bool{}
	var prev int64
	for _, f := range All() {
		if f.ID <= prev {
			t.Errorf("%q: id %d not ascending after %d", f.Name, f.ID, prev)
		}
		prev = f.ID
		if ids[f.ID] {
			t.Errorf("duplicate id %d", f.ID)
		}
		ids[f.ID] = true
		if names[strings.ToLower(f.Name)] {
			t.Errorf("duplicate name %q (case-insensitively)", f.Name)
		}
		names[strings.ToLower(f.Name)] = true
		if prims[strings.ToLower(f.Format)] {
			t.Errorf("primitive %q used by two rows; ByFormat would be ambiguous", f.Format)
		}
		prims[strings.ToLower(f.Format)] = true
	}
	for id, name := range stableIDs {
		f, ok := ByID(id)
		if !ok || f.Name != name {
			t.Errorf("ByID(%d) = %q, %v; want %q (ids are stable)", id, f.Name, ok, name)
		}
	}
}

func TestRowsAreConsistent(t *testing.T) {
	for _, f := range All() {
		if Type(strings.ToLower(string(f.Category))) != f.Type {
			t.Errorf("%q: type %q does not match category %q", f.Name, f.Type, f.Category)
		}
		if (f.Type == TypeCloud) != (f.CredAccountType != "") && f.Name != "VMware vCenter" && f.Name != "Docker" {
			t.Errorf("%q: cloud formats and only they (plus vCenter, Docker) need a cloud account, got %q", f.Name, f.CredAccountType)
		}
		if !strings.HasPrefix(f.Extension, ".") {
			t.Errorf("%q: extension %q must start with a dot", f.Name, f.Extension)
		}
		if f.Disk == DiskNone && f.Packaging == PackagingNone {
			t.Errorf("%q: neither disk nor packaging: nothing to deliver", f.Name)
		}
		if f.Disk == DiskNone && f.Boot != BootNone && f.Packaging != PackagingISO && f.Packaging != PackagingPXE {
			t.Errorf("%q: boot %q without a disk", f.Name, f.Boot)
		}
	}
}

// TestActiveFormats pins what Kiln generates: the plain disks, the cloud disks
// (the same writers plus cloud-init) and the packagings of internal/target/pack (each verified by its tests there and by
// internal/generate's output tests).
func TestActiveFormats(t *testing.T) {
	var got []string
	for _, f := range Active() {
		got = append(got, f.Name)
	}
	want := "QCOW2,KVM,VirtualBox,VMware Server,VMware vCenter,OVF or OVA,Raw Virtual Disk,VHD,Xen,Citrix Xen Server,Hyper-V," +
		"Vagrant Base Box,Amazon AWS,Microsoft Azure,Google Compute Engine,OpenStack QCOW2,OpenStack VMDK,OpenStack VHD,OpenStack VDI," +
		"CloudStack KVM (QCOW2),CloudStack Citrix Xen (VHD),CloudStack VMware (OVA),VMware vCloud Director,Fujitsu K5,Outscale,SUSE Cloud," +
		"OpenShift,Docker,LXC Container,ISO,PXE"
	if strings.Join(got, ",") != want {
		t.Errorf("active formats = %v", got)
	}
}

func TestHammrRules(t *testing.T) {
	// Spot checks against contract §9.3.
	for prim, want := range map[string][2]bool{ // {compress, needsMemory}
		"qcow2": {true, true}, "raw": {true, false}, "aws": {false, false}, "vcenter": {false, true},
		"vcloud": {false, true}, "google": {true, false}, "docker": {true, false}, "PXE": {false, false},
		"cloudstackova": {true, true}, "openstackvdi": {false, false}, "vagrant": {true, true},
	} {
		f, ok := ByFormat(prim)
		if !ok {
			t.Errorf("ByFormat(%q) not found", prim)
			continue
		}
		if f.Compress != want[0] || f.NeedsMemory != want[1] {
			t.Errorf("%s: compress=%v needsMemory=%v, want %v", prim, f.Compress, f.NeedsMemory, want)
		}
	}
}

func TestLookups(t *testing.T) {
	if f, ok := ByName("qcow2"); !ok || f.ID != 1 {
		t.Errorf("ByName(qcow2) case-insensitive = %v, %v", f, ok)
	}
	if f, ok := ByName("amazon aws"); !ok || f.Format != "aws" {
		t.Errorf("ByName(amazon aws) = %v, %v", f, ok)
	}
	if _, ok := ByName("Amazon"); ok {
		t.Error("ByName must not match prefixes")
	}
	if f, ok := ByFormat("iso"); !ok || f.Name != "ISO" {
		t.Errorf("ByFormat(iso) = %v, %v", f, ok)
	}
	if f, ok := ByFormat("hyper-v"); !ok || f.Disk != DiskVHDX {
		t.Errorf("ByFormat(hyper-v) = %v, %v", f, ok)
	}
	if _, ok := ByID(0); ok {
		t.Error("ByID(0) found a row")
	}
	if f, _ := ByName("Google Compute Engine"); !f.Compressed() {
		t.Error("GCE tar.gz must count as already compressed")
	}
	if f, _ := ByName("QCOW2"); f.Compressed() {
		t.Error("qcow2 is not a compressed archive")
	}
}

func TestAllReturnsACopy(t *testing.T) {
	a := All()
	a[0].Name = "changed"
	a[0].Active = false
	if f, _ := ByID(1); f.Name != "QCOW2" || !f.Active {
		t.Error("mutating All()'s result changed the table")
	}
}
