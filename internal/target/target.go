// Package target is Kiln's table of target formats: every default UForge target
// format name (what hammr puts in a builder's "type") mapped to the primitive
// ImageFormat it skins and to what Kiln has to produce for it: disk encoding,
// packaging, boot mode and file extension. Adding a format is adding a row.
package target

import "strings"

// Category is the UForge category name of a target format (category.name on the wire).
type Category string

// Categories, spelled as hammr's default builder table spells them.
const (
	CategoryVirtual   Category = "Virtual"
	CategoryCloud     Category = "Cloud"
	CategoryContainer Category = "Container"
	CategoryPhysical  Category = "Physical"
)

// Type is TargetFormat.type of uforge.xsd.
type Type string

// Types, as the XSD enumerates them.
const (
	TypeVirtual   Type = "virtual"
	TypeCloud     Type = "cloud"
	TypeContainer Type = "container"
	TypePhysical  Type = "physical"
)

// Disk is the encoding of the disk image a format carries.
type Disk string

// Disk encodings. DiskNone means the format carries no disk (containers, ISO, PXE).
const (
	DiskNone       Disk = "none"
	DiskRaw        Disk = "raw"
	DiskQCOW2      Disk = "qcow2"
	DiskVMDKStream Disk = "vmdk-stream" // streamOptimized, the only VMDK an OVA may hold
	DiskVMDKSparse Disk = "vmdk-sparse" // monolithicSparse, what hypervisors open directly
	DiskVHDFixed   Disk = "vhd-fixed"   // Azure accepts nothing else
	DiskVHDDynamic Disk = "vhd-dynamic"
	DiskVHDX       Disk = "vhdx"
	DiskVDI        Disk = "vdi"
)

// Packaging is what wraps the disk (or the root filesystem) into the delivered file.
type Packaging string

// Packagings. PackagingNone delivers the disk file itself.
const (
	PackagingNone              Packaging = "none"
	PackagingKVMScript         Packaging = "kvm-script" // disk + a qemu launch script, in a tar
	PackagingVMX               Packaging = "vmx"        // disk + .vmx descriptor, in a tar
	PackagingOVA               Packaging = "ova"        // OVF descriptor + manifest + streamOptimized VMDK
	PackagingVagrantVirtualBox Packaging = "vagrant-virtualbox"
	PackagingVagrantLibvirt    Packaging = "vagrant-libvirt"
	PackagingGCETar            Packaging = "gce-tar"    // disk.raw in a gzip'd GNU tar, as GCE imports it
	PackagingOracleTar         Packaging = "oracle-tar" // raw disk in a gzip'd tar, as Oracle Cloud imports it
	PackagingDocker            Packaging = "docker"     // docker/OCI image archive of the root filesystem
	PackagingLXC               Packaging = "lxc"        // root filesystem tar + LXC metadata
	PackagingISO               Packaging = "iso"        // hybrid live ISO
	PackagingPXE               Packaging = "pxe"        // kernel, initrd and root squashfs
)

// Boot is the firmware the image boots with.
type Boot string

// Boot modes. BootHybrid installs GRUB for BIOS and UEFI on one GPT disk.
const (
	BootNone   Boot = "none"
	BootBIOS   Boot = "bios"
	BootUEFI   Boot = "uefi"
	BootHybrid Boot = "hybrid"
)

// Format is one target format. Values are copies; the table itself never changes.
type Format struct {
	ID              int64  // stable: stored in specs and images, sent as dbId
	Name            string // targetFormat.name, the builder "type" hammr sends
	Format          string // primitive ImageFormat.name of uforge.xsd
	Category        Category
	Type            Type
	CredAccountType string // TargetFormat.credAccountType; empty when the format is not published anywhere
	Disk            Disk
	Packaging       Packaging
	Boot            Boot
	// Extension is the extension of the file Packaging produces. When an image is
	// compressed, the compressor appends its own suffix unless Extension already
	// names a compressed archive (Compressed reports that).
	Extension string
	// Datasources is the cloud-init datasource_list of a cloud format, comma
	// separated and without the trailing None ("" means: no cloud-init). The
	// image gets cloud-init and growpart, so it takes its identity (hostname,
	// SSH keys, user data) from the platform at first boot and grows its root
	// filesystem to the disk it is given.
	Datasources string
	Compress    bool // hammr's default compress flag for the primitive (contract §9.3)
	NeedsMemory bool // hammr requires hardwareSettings.memory for the primitive (§9.3)
	Active      bool // Kiln can generate it today
}

// Compressed reports whether the packaged file is already compressed, so that a
// compress request must not wrap it again.
func (f Format) Compressed() bool {
	return strings.HasSuffix(f.Extension, ".gz") || strings.HasSuffix(f.Extension, ".xz")
}

// table is the single source of truth. IDs are stable forever: never renumber,
// never reuse; append new rows with new IDs.
var table = [...]Format{
	// Virtual
	{ID: 1, Name: "QCOW2", Format: "qcow2", Category: CategoryVirtual, Type: TypeVirtual, Disk: DiskQCOW2, Packaging: PackagingNone, Boot: BootHybrid, Extension: ".qcow2", Compress: true, NeedsMemory: true, Active: true},
	{ID: 2, Name: "KVM", Format: "kvm", Category: CategoryVirtual, Type: TypeVirtual, Disk: DiskQCOW2, Packaging: PackagingKVMScript, Boot: BootHybrid, Extension: ".tar", Compress: true, NeedsMemory: true, Active: true},
	{ID: 3, Name: "VirtualBox", Format: "vbox", Category: CategoryVirtual, Type: TypeVirtual, Disk: DiskVMDKStream, Packaging: PackagingOVA, Boot: BootBIOS, Extension: ".ova", Compress: true, NeedsMemory: true, Active: true},
	{ID: 4, Name: "VMware Server", Format: "vmware", Category: CategoryVirtual, Type: TypeVirtual, Disk: DiskVMDKSparse, Packaging: PackagingVMX, Boot: BootBIOS, Extension: ".tar", Compress: true, NeedsMemory: true, Active: true},
	{ID: 5, Name: "VMware vCenter", Format: "vcenter", Category: CategoryVirtual, Type: TypeVirtual, CredAccountType: "vsphere", Disk: DiskVMDKStream, Packaging: PackagingOVA, Boot: BootBIOS, Extension: ".ova", Compress: false, NeedsMemory: true, Active: true},
	{ID: 6, Name: "OVF or OVA", Format: "ovf", Category: CategoryVirtual, Type: TypeVirtual, Disk: DiskVMDKStream, Packaging: PackagingOVA, Boot: BootBIOS, Extension: ".ova", Compress: true, NeedsMemory: true, Active: true},
	{ID: 7, Name: "Raw Virtual Disk", Format: "raw", Category: CategoryVirtual, Type: TypeVirtual, Disk: DiskRaw, Packaging: PackagingNone, Boot: BootHybrid, Extension: ".raw", Compress: true, NeedsMemory: false, Active: true},
	{ID: 8, Name: "VHD", Format: "vhd", Category: CategoryVirtual, Type: TypeVirtual, Disk: DiskVHDDynamic, Packaging: PackagingNone, Boot: BootBIOS, Extension: ".vhd", Compress: true, NeedsMemory: true, Active: true},
	{ID: 9, Name: "Xen", Format: "xen", Category: CategoryVirtual, Type: TypeVirtual, Disk: DiskRaw, Packaging: PackagingNone, Boot: BootBIOS, Extension: ".raw", Compress: true, NeedsMemory: true, Active: true},
	{ID: 10, Name: "Citrix Xen Server", Format: "xenserver", Category: CategoryVirtual, Type: TypeVirtual, Disk: DiskVHDDynamic, Packaging: PackagingNone, Boot: BootBIOS, Extension: ".vhd", Compress: true, NeedsMemory: true, Active: true},
	{ID: 11, Name: "Hyper-V", Format: "hyper-v", Category: CategoryVirtual, Type: TypeVirtual, Disk: DiskVHDX, Packaging: PackagingNone, Boot: BootHybrid, Extension: ".vhdx", Compress: true, NeedsMemory: true, Active: true},
	{ID: 12, Name: "Vagrant Base Box", Format: "vagrant", Category: CategoryVirtual, Type: TypeVirtual, Disk: DiskVMDKStream, Packaging: PackagingVagrantVirtualBox, Boot: BootBIOS, Extension: ".box", Compress: true, NeedsMemory: true, Active: true},

	// Cloud
	{ID: 13, Name: "Amazon AWS", Format: "aws", Category: CategoryCloud, Type: TypeCloud, CredAccountType: "aws", Disk: DiskRaw, Packaging: PackagingNone, Boot: BootHybrid, Extension: ".raw", Datasources: "Ec2", Active: true},
	{ID: 14, Name: "Microsoft Azure", Format: "azure", Category: CategoryCloud, Type: TypeCloud, CredAccountType: "azure", Disk: DiskVHDFixed, Packaging: PackagingNone, Boot: BootHybrid, Extension: ".vhd", Datasources: "Azure", Active: true},
	{ID: 15, Name: "Google Compute Engine", Format: "google", Category: CategoryCloud, Type: TypeCloud, CredAccountType: "google", Disk: DiskRaw, Packaging: PackagingGCETar, Boot: BootHybrid, Extension: ".tar.gz", Datasources: "GCE", Compress: true, Active: true},
	{ID: 16, Name: "OpenStack QCOW2", Format: "openstackqcow2", Category: CategoryCloud, Type: TypeCloud, CredAccountType: "openstack", Disk: DiskQCOW2, Packaging: PackagingNone, Boot: BootHybrid, Extension: ".qcow2", Datasources: "ConfigDrive,OpenStack", Active: true},
	{ID: 17, Name: "OpenStack VMDK", Format: "openstackvmdk", Category: CategoryCloud, Type: TypeCloud, CredAccountType: "openstack", Disk: DiskVMDKSparse, Packaging: PackagingNone, Boot: BootBIOS, Extension: ".vmdk", Datasources: "ConfigDrive,OpenStack", Active: true},
	{ID: 18, Name: "OpenStack VHD", Format: "openstackvhd", Category: CategoryCloud, Type: TypeCloud, CredAccountType: "openstack", Disk: DiskVHDDynamic, Packaging: PackagingNone, Boot: BootBIOS, Extension: ".vhd", Datasources: "ConfigDrive,OpenStack", Active: true},
	{ID: 19, Name: "OpenStack VDI", Format: "openstackvdi", Category: CategoryCloud, Type: TypeCloud, CredAccountType: "openstack", Disk: DiskVDI, Packaging: PackagingNone, Boot: BootBIOS, Extension: ".vdi", Datasources: "ConfigDrive,OpenStack", Active: true},
	{ID: 20, Name: "CloudStack KVM (QCOW2)", Format: "cloudstackqcow2", Category: CategoryCloud, Type: TypeCloud, CredAccountType: "cloudstack", Disk: DiskQCOW2, Packaging: PackagingNone, Boot: BootHybrid, Extension: ".qcow2", Datasources: "CloudStack,ConfigDrive", Compress: true, NeedsMemory: true, Active: true},
	{ID: 21, Name: "CloudStack Citrix Xen (VHD)", Format: "cloudstackvhd", Category: CategoryCloud, Type: TypeCloud, CredAccountType: "cloudstack", Disk: DiskVHDDynamic, Packaging: PackagingNone, Boot: BootBIOS, Extension: ".vhd", Datasources: "CloudStack,ConfigDrive", Compress: true, NeedsMemory: true, Active: true},
	{ID: 22, Name: "CloudStack VMware (OVA)", Format: "cloudstackova", Category: CategoryCloud, Type: TypeCloud, CredAccountType: "cloudstack", Disk: DiskVMDKStream, Packaging: PackagingOVA, Boot: BootBIOS, Extension: ".ova", Datasources: "CloudStack,ConfigDrive", Compress: true, NeedsMemory: true, Active: true},
	{ID: 23, Name: "VMware vCloud Director", Format: "vcloud", Category: CategoryCloud, Type: TypeCloud, CredAccountType: "vclouddirector", Disk: DiskVMDKStream, Packaging: PackagingOVA, Boot: BootBIOS, Extension: ".ova", Datasources: "OVF,VMware", NeedsMemory: true, Active: true},
	{ID: 24, Name: "Fujitsu K5", Format: "k5vmdk", Category: CategoryCloud, Type: TypeCloud, CredAccountType: "k5", Disk: DiskVMDKSparse, Packaging: PackagingNone, Boot: BootBIOS, Extension: ".vmdk", Datasources: "ConfigDrive,OpenStack", Active: true},
	{ID: 25, Name: "Oracle Cloud", Format: "oracleraw", Category: CategoryCloud, Type: TypeCloud, CredAccountType: "oracle", Disk: DiskRaw, Packaging: PackagingOracleTar, Boot: BootBIOS, Extension: ".tar.gz", Datasources: "Oracle", Compress: true},
	{ID: 26, Name: "Outscale", Format: "outscale", Category: CategoryCloud, Type: TypeCloud, CredAccountType: "outscale", Disk: DiskRaw, Packaging: PackagingNone, Boot: BootBIOS, Extension: ".raw", Datasources: "Ec2", Active: true},
	// SUSE Cloud is SUSE's OpenStack distribution, hence the openstack account type.
	{ID: 27, Name: "SUSE Cloud", Format: "susecloud", Category: CategoryCloud, Type: TypeCloud, CredAccountType: "openstack", Disk: DiskQCOW2, Packaging: PackagingNone, Boot: BootHybrid, Extension: ".qcow2", Datasources: "ConfigDrive,OpenStack", Active: true},
	// OpenShift sits in hammr's Cloud category but ships a container image.
	{ID: 28, Name: "OpenShift", Format: "openshift", Category: CategoryCloud, Type: TypeCloud, CredAccountType: "openshift", Disk: DiskNone, Packaging: PackagingDocker, Boot: BootNone, Extension: ".tar", Compress: true, Active: true},

	// Container
	{ID: 29, Name: "Docker", Format: "docker", Category: CategoryContainer, Type: TypeContainer, CredAccountType: "docker", Disk: DiskNone, Packaging: PackagingDocker, Boot: BootNone, Extension: ".tar", Compress: true, Active: true},
	{ID: 30, Name: "LXC Container", Format: "lxc", Category: CategoryContainer, Type: TypeContainer, Disk: DiskNone, Packaging: PackagingLXC, Boot: BootNone, Extension: ".tar", Compress: true, Active: true},

	// Physical
	{ID: 31, Name: "ISO", Format: "ISO", Category: CategoryPhysical, Type: TypePhysical, Disk: DiskNone, Packaging: PackagingISO, Boot: BootHybrid, Extension: ".iso", Compress: true, Active: true},
	{ID: 32, Name: "PXE", Format: "PXE", Category: CategoryPhysical, Type: TypePhysical, Disk: DiskNone, Packaging: PackagingPXE, Boot: BootHybrid, Extension: ".tar", Active: true},
}

// All returns every target format, ordered by ID.
func All() []Format {
	out := make([]Format, len(table))
	copy(out, table[:])
	return out
}

// Active returns the formats Kiln can generate today, ordered by ID.
func Active() []Format {
	var out []Format
	for _, f := range table {
		if f.Active {
			out = append(out, f)
		}
	}
	return out
}

// ByID returns the format with this ID.
func ByID(id int64) (Format, bool) {
	for _, f := range table {
		if f.ID == id {
			return f, true
		}
	}
	return Format{}, false
}

// ByName returns the format named name: an exact match first, then a
// case-insensitive one (hammr users type "qcow2" as often as "QCOW2").
func ByName(name string) (Format, bool) {
	return lookup(name, func(f Format) string { return f.Name })
}

// ByFormat returns the format whose primitive ImageFormat name is primitive
// (exact, then case-insensitive: the XSD spells "ISO" and "PXE" in capitals,
// hammr lowercases them).
func ByFormat(primitive string) (Format, bool) {
	return lookup(primitive, func(f Format) string { return f.Format })
}

// Resolve finds the format a request names: a target format name first
// ("QCOW2", "OpenStack QCOW2"), then a primitive format name ("qcow2", "iso").
func Resolve(name string) (Format, bool) {
	if f, ok := ByName(name); ok {
		return f, true
	}
	return ByFormat(name)
}

// CloudInitDatasources returns the cloud-init datasource_list of the format,
// or nil when its images carry no cloud-init.
func (f Format) CloudInitDatasources() []string {
	if f.Datasources == "" {
		return nil
	}
	return strings.Split(f.Datasources, ",")
}

func lookup(key string, field func(Format) string) (Format, bool) {
	for _, f := range table {
		if field(f) == key {
			return f, true
		}
	}
	for _, f := range table {
		if strings.EqualFold(field(f), key) {
			return f, true
		}
	}
	return Format{}, false
}

// QemuName is the name qemu-img (and UForge's primitive formats) know the
// encoding by: both VHD subformats are "vpc", both VMDK ones "vmdk".
func (d Disk) QemuName() string {
	switch d {
	case DiskVHDFixed, DiskVHDDynamic:
		return "vpc"
	case DiskVMDKStream, DiskVMDKSparse:
		return "vmdk"
	}
	return string(d)
}
