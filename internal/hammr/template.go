package hammr

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/kilnhq/kiln/internal/uforge"
)

// Template is a hammr template file (contract §9.4):
// {"stack": {…}, "builders": […], "accounts": […]}. The same types write a
// template back (template export), hence the yaml tags.
type Template struct {
	Stack    *Stack    `json:"stack,omitempty" yaml:"stack,omitempty"`
	Builders []Builder `json:"builders,omitempty" yaml:"builders,omitempty"`
	Accounts []any     `json:"accounts,omitempty" yaml:"accounts,omitempty"`
}

// Stack is the appliance: name, version, OS, installation, and the parts
// Kiln does not support (bundles, config scripts, logo) kept to be named.
type Stack struct {
	Name         String        `json:"name,omitempty" yaml:"name,omitempty"`
	Version      String        `json:"version,omitempty" yaml:"version,omitempty"`
	Description  String        `json:"description,omitempty" yaml:"description,omitempty"`
	OS           *OS           `json:"os,omitempty" yaml:"os,omitempty"`
	Installation *Installation `json:"installation,omitempty" yaml:"installation,omitempty"`
	Bundles      []any         `json:"bundles,omitempty" yaml:"bundles,omitempty"`
	Config       []any         `json:"config,omitempty" yaml:"config,omitempty"`
	SourceLogo   any           `json:"source_logo,omitempty" yaml:"source_logo,omitempty"`
}

// OS is the distribution, its OS profile ("Minimal") and extra packages.
type OS struct {
	Name     String `json:"name,omitempty" yaml:"name,omitempty"`
	Version  String `json:"version,omitempty" yaml:"version,omitempty"`
	Arch     String `json:"arch,omitempty" yaml:"arch,omitempty"`
	Profile  String `json:"profile,omitempty" yaml:"profile,omitempty"`
	Pkgs     []Pkg  `json:"pkgs,omitempty" yaml:"pkgs,omitempty"`
	UpdateTo String `json:"updateTo,omitempty" yaml:"updateTo,omitempty"`
}

// Pkg is a package of the OS profile. The examples write revision and
// fullname; the documentation release and fullName (keys match in any case).
type Pkg struct {
	Name     String `json:"name,omitempty" yaml:"name,omitempty"`
	Version  String `json:"version,omitempty" yaml:"version,omitempty"`
	Release  String `json:"release,omitempty" yaml:"release,omitempty"`
	Revision String `json:"revision,omitempty" yaml:"revision,omitempty"`
	Arch     String `json:"arch,omitempty" yaml:"arch,omitempty"`
	FullName String `json:"fullName,omitempty" yaml:"fullName,omitempty"`
}

// Installation is the install profile.
type Installation struct {
	DiskSize         *Int          `json:"diskSize,omitempty" yaml:"diskSize,omitempty"`
	SwapSize         *Int          `json:"swapSize,omitempty" yaml:"swapSize,omitempty"`
	Timezone         String        `json:"timezone,omitempty" yaml:"timezone,omitempty"`
	Keyboard         String        `json:"keyboard,omitempty" yaml:"keyboard,omitempty"`
	KernelParams     []String      `json:"kernelParams,omitempty" yaml:"kernelParams,omitempty"`
	InternetSettings String        `json:"internetSettings,omitempty" yaml:"internetSettings,omitempty"`
	DisplayLicense   *Bool         `json:"displayLicense,omitempty" yaml:"displayLicense,omitempty"`
	DisplayLicenses  *Bool         `json:"displayLicenses,omitempty" yaml:"displayLicenses,omitempty"`
	Firewall         *Bool         `json:"firewall,omitempty" yaml:"firewall,omitempty"`
	WelcomeMessage   String        `json:"welcomeMessage,omitempty" yaml:"welcomeMessage,omitempty"`
	SeLinuxMode      String        `json:"seLinuxMode,omitempty" yaml:"seLinuxMode,omitempty"`
	RootUser         *RootUser     `json:"rootUser,omitempty" yaml:"rootUser,omitempty"`
	Users            []User        `json:"users,omitempty" yaml:"users,omitempty"`
	Groups           []Group       `json:"groups,omitempty" yaml:"groups,omitempty"`
	Partitioning     *Partitioning `json:"partitioning,omitempty" yaml:"partitioning,omitempty"`
}

// RootUser is the root account.
type RootUser struct {
	Password             String   `json:"password,omitempty" yaml:"password,omitempty"`
	SetPassword          *Bool    `json:"setPassword,omitempty" yaml:"setPassword,omitempty"`
	DisablePasswordLogin *Bool    `json:"disablePasswordLogin,omitempty" yaml:"disablePasswordLogin,omitempty"`
	SSHKeys              []SSHKey `json:"sshKeys,omitempty" yaml:"sshKeys,omitempty"`
}

// SSHKey is a public key.
type SSHKey struct {
	Name      String `json:"name,omitempty" yaml:"name,omitempty"`
	PublicKey String `json:"publicKey,omitempty" yaml:"publicKey,omitempty"`
}

// User is an account of the image.
type User struct {
	Name            String   `json:"name,omitempty" yaml:"name,omitempty"`
	FullName        String   `json:"fullName,omitempty" yaml:"fullName,omitempty"`
	UserID          String   `json:"userId,omitempty" yaml:"userId,omitempty"`
	PrimaryGroup    String   `json:"primaryGroup,omitempty" yaml:"primaryGroup,omitempty"`
	SecondaryGroups CSV      `json:"secondaryGroups,omitempty" yaml:"secondaryGroups,omitempty"`
	HomeDir         String   `json:"homeDir,omitempty" yaml:"homeDir,omitempty"`
	Shell           String   `json:"shell,omitempty" yaml:"shell,omitempty"`
	Password        String   `json:"password,omitempty" yaml:"password,omitempty"`
	SystemUser      *Bool    `json:"systemUser,omitempty" yaml:"systemUser,omitempty"`
	Sudo            *Bool    `json:"sudo,omitempty" yaml:"sudo,omitempty"` // Kiln's addition: passwordless sudo
	SSHKeys         []SSHKey `json:"sshKeys,omitempty" yaml:"sshKeys,omitempty"`
}

// Group is a group of the image.
type Group struct {
	Name        String `json:"name,omitempty" yaml:"name,omitempty"`
	GroupID     String `json:"groupId,omitempty" yaml:"groupId,omitempty"`
	SystemGroup *Bool  `json:"systemGroup,omitempty" yaml:"systemGroup,omitempty"`
}

// Partitioning is hammr's advanced partitioning: disks with partitions
// (logical ones inside an "Extended" one), LVM volume groups and volumes.
type Partitioning struct {
	Disks          []Disk `json:"disks,omitempty" yaml:"disks,omitempty"`
	VolumeGroups   []any  `json:"volumeGroups,omitempty" yaml:"volumeGroups,omitempty"`
	LogicalVolumes []any  `json:"logicalVolumes,omitempty" yaml:"logicalVolumes,omitempty"`
}

// Disk is one disk of the partitioning.
type Disk struct {
	Name       String      `json:"name,omitempty" yaml:"name,omitempty"`
	Type       String      `json:"type,omitempty" yaml:"type,omitempty"` // msdos | lvm
	Size       *Int        `json:"size,omitempty" yaml:"size,omitempty"`
	Partitions []Partition `json:"partitions,omitempty" yaml:"partitions,omitempty"`
}

// Partition is a partition (or a logical one inside an Extended partition).
type Partition struct {
	Number     *Int        `json:"number,omitempty" yaml:"number,omitempty"`
	Fstype     String      `json:"fstype,omitempty" yaml:"fstype,omitempty"`
	Size       *Int        `json:"size,omitempty" yaml:"size,omitempty"`
	MountPoint String      `json:"mountPoint,omitempty" yaml:"mountPoint,omitempty"`
	Label      String      `json:"label,omitempty" yaml:"label,omitempty"`
	Grow       *Bool       `json:"grow,omitempty" yaml:"grow,omitempty"`
	Partitions []Partition `json:"partitions,omitempty" yaml:"partitions,omitempty"`
}

// ParseTemplate reads a template file's content (name gives its syntax and
// appears in messages). It checks the syntax only: unknown keys come back as
// warnings; what a server makes of the stack is Plan's business.
func ParseTemplate(name string, data []byte) (*Template, []string, error) {
	f, err := FormatOf(name)
	if err != nil {
		return nil, nil, err
	}
	var t Template
	unknown, err := decode(data, f, &t)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	var warns []string
	for _, k := range unknown {
		if strings.HasPrefix(k, "builders[") {
			continue // builders carry publish settings Kiln does not read
		}
		warns = append(warns, fmt.Sprintf("%s: unknown key %q ignored", name, k))
	}
	return &t, warns, nil
}

// CheckStack verifies what template create needs: a stack with name, version
// and a complete os.
func (t *Template) CheckStack() error {
	s := t.Stack
	if s == nil {
		return errors.New(`the template has no "stack"`)
	}
	var missing []string
	if strings.TrimSpace(string(s.Name)) == "" {
		missing = append(missing, "stack.name")
	}
	if strings.TrimSpace(string(s.Version)) == "" {
		missing = append(missing, "stack.version")
	}
	if s.OS == nil {
		missing = append(missing, "stack.os")
	} else {
		for _, f := range []struct {
			v    String
			name string
		}{{s.OS.Name, "name"}, {s.OS.Version, "version"}, {s.OS.Arch, "arch"}, {s.OS.Profile, "profile"}} {
			if strings.TrimSpace(string(f.v)) == "" {
				missing = append(missing, "stack.os."+f.name)
			}
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("the template lacks %s", strings.Join(missing, ", "))
	}
	return nil
}

// Plan is a template resolved against a server's distributions: the requests
// that create it (appliance with its OS profile, then packages, then install
// profile) and the warnings for what Kiln will not honour.
type Plan struct {
	Appliance *uforge.Appliance      // name, version, description, distributionUri, osProfile
	Packages  *uforge.PkgList        // nil: no extra packages
	Install   *uforge.InstallProfile // nil: the server's defaults
	Warnings  []string
}

// Plan resolves the template's stack against dists, the distributions the
// server offers (GET /users/{uid}/distros, with their profiles). An unknown
// distribution or profile is an error naming it.
func (t *Template) Plan(dists []uforge.Distribution) (*Plan, error) {
	if err := t.CheckStack(); err != nil {
		return nil, err
	}
	s := t.Stack
	dist, err := matchDistribution(s.OS, dists)
	if err != nil {
		return nil, err
	}
	prof, err := matchProfile(s.OS.Profile, dist)
	if err != nil {
		return nil, err
	}
	p := &Plan{Appliance: &uforge.Appliance{
		Name:            uforge.Str(strings.TrimSpace(string(s.Name))),
		Version:         uforge.Str(strings.TrimSpace(string(s.Version))),
		DistributionURI: dist.URI,
		OSProfile:       &uforge.LinuxProfile{DistribProfile: uforge.DistribProfile{StandardProfileURI: prof.URI}},
	}}
	if s.Description != "" {
		p.Appliance.Description = uforge.Str(string(s.Description))
	}
	warn := func(format string, args ...any) { p.Warnings = append(p.Warnings, fmt.Sprintf(format, args...)) }

	if p.Packages, err = planPackages(s.OS, dist, warn); err != nil {
		return nil, err
	}
	if s.OS.UpdateTo != "" {
		warn("stack.os.updateTo (%s): Kiln installs the mirror's current versions; the date is ignored", s.OS.UpdateTo)
	}
	if s.Installation != nil {
		if p.Install, err = planInstall(s.Installation, warn); err != nil {
			return nil, err
		}
	}
	if len(s.Bundles) > 0 {
		warn("stack.bundles (%s): Kiln has no software bundles (mysoftware); they are not installed", listNames(s.Bundles))
	}
	if len(s.Config) > 0 {
		warn("stack.config (%s): Kiln does not run boot scripts; they are not added", listNames(s.Config))
	}
	if s.SourceLogo != nil {
		warn("stack.source_logo: Kiln keeps no logos; ignored")
	}
	if len(t.Accounts) > 0 {
		warn("accounts: Kiln does not publish images; the cloud accounts are ignored")
	}
	return p, nil
}

// listNames names the entries of a free-form list by their "name" key.
func listNames(items []any) string {
	var names []string
	for i, it := range items {
		name := ""
		if m, ok := it.(map[string]any); ok {
			for k, v := range m {
				if strings.EqualFold(k, "name") {
					name = fmt.Sprint(v)
				}
			}
		}
		if name == "" {
			name = fmt.Sprintf("#%d", i+1)
		}
		names = append(names, fmt.Sprintf("%q", name))
	}
	return strings.Join(names, ", ")
}

func sameArch(a, b string) bool {
	norm := func(s string) string {
		s = strings.ToLower(strings.TrimSpace(s))
		if s == "amd64" || s == "x86-64" {
			return "x86_64"
		}
		return s
	}
	return norm(a) == norm(b)
}

func matchDistribution(o *OS, dists []uforge.Distribution) (*uforge.Distribution, error) {
	name, version, arch := strings.TrimSpace(string(o.Name)), strings.TrimSpace(string(o.Version)), string(o.Arch)
	var offered []string
	var major *uforge.Distribution
	for i := range dists {
		d := &dists[i]
		dn, dv, da := uforge.StrValue(d.Name), uforge.StrValue(d.Version), uforge.StrValue(d.Arch)
		offered = append(offered, strings.TrimSpace(dn+" "+dv+" "+da))
		if !strings.EqualFold(dn, name) || !sameArch(da, arch) {
			continue
		}
		if dv == version {
			return d, nil
		}
		// "12.5" names a point release of Debian 12.
		if m, _, ok := strings.Cut(version, "."); ok && m == dv && major == nil {
			major = d
		}
	}
	if major != nil {
		return major, nil
	}
	if len(offered) == 0 {
		offered = []string{"none"}
	}
	return nil, fmt.Errorf("stack.os: distribution %q is not offered by this server (it offers %s)",
		strings.TrimSpace(name+" "+version+" "+arch), strings.Join(offered, ", "))
}

func matchProfile(name String, d *uforge.Distribution) (*uforge.LinuxProfile, error) {
	var known []string
	for i := range d.Profiles {
		p := &d.Profiles[i]
		known = append(known, uforge.StrValue(p.Name))
		if strings.EqualFold(uforge.StrValue(p.Name), strings.TrimSpace(string(name))) && p.URI != nil {
			return p, nil
		}
	}
	return nil, fmt.Errorf("stack.os.profile: %q is not an OS profile of %s %s (known: %s)",
		name, uforge.StrValue(d.Name), uforge.StrValue(d.Version), strings.Join(known, ", "))
}

func planPackages(o *OS, dist *uforge.Distribution, warn func(string, ...any)) (*uforge.PkgList, error) {
	if len(o.Pkgs) == 0 {
		return nil, nil
	}
	list := &uforge.PkgList{}
	for i, pk := range o.Pkgs {
		name := strings.TrimSpace(string(pk.Name))
		if name == "" {
			return nil, fmt.Errorf("stack.os.pkgs[%d]: name is required", i)
		}
		w := uforge.Pkg{Name: uforge.Str(name)}
		release := pk.Release
		if release == "" {
			release = pk.Revision
		}
		switch {
		case pk.Version != "" && release != "":
			w.Version = uforge.Str(string(pk.Version) + "-" + string(release))
		case pk.Version != "":
			w.Version = uforge.Str(string(pk.Version))
		case pk.FullName != "":
			warn("stack.os.pkgs[%d] (%s): fullName %q is not read; the mirror's newest version is taken", i, name, pk.FullName)
		}
		if a := string(pk.Arch); a != "" && a != "all" && a != "noarch" && !sameArch(a, uforge.StrValue(dist.Arch)) {
			warn("stack.os.pkgs[%d] (%s): arch %s is not the distribution's (%s); the distribution's is used", i, name, a, uforge.StrValue(dist.Arch))
		}
		list.Pkgs = append(list.Pkgs, w)
	}
	return list, nil
}

func planInstall(in *Installation, warn func(string, ...any)) (*uforge.InstallProfile, error) {
	ip := &uforge.InstallProfile{DiskSize: ptrInt(in.DiskSize), SwapSize: ptrInt(in.SwapSize)}
	if in.DiskSize != nil && *in.DiskSize <= 0 {
		return nil, fmt.Errorf("stack.installation.diskSize: %d is not a size in MB", *in.DiskSize)
	}
	if in.SwapSize != nil && *in.SwapSize < 0 {
		return nil, fmt.Errorf("stack.installation.swapSize: %d is not a size in MB", *in.SwapSize)
	}
	if in.Timezone != "" {
		ip.Timezone = strPtr(in.Timezone)
		ip.TimezoneAuto = uforge.Bool(false)
	}
	if in.Keyboard != "" {
		if !uforge.ValidKeyboard(string(in.Keyboard)) {
			return nil, fmt.Errorf("stack.installation.keyboard: %q is not a keymap UForge knows (us, fr, de, uk …)", in.Keyboard)
		}
		ip.Keyboard = strPtr(in.Keyboard)
		ip.KeyboardAuto = uforge.Bool(false)
	}
	if len(in.KernelParams) > 0 {
		var ps []string
		for _, k := range in.KernelParams {
			ps = append(ps, strings.Fields(string(k))...)
		}
		ip.KernelParameters = uforge.Str(strings.Join(ps, " "))
	}
	switch strings.ToLower(string(in.InternetSettings)) {
	case "", "basic", "dhcp":
	default:
		warn("stack.installation.internetSettings (%s): Kiln images configure the network with DHCP", in.InternetSettings)
	}
	for _, d := range []*Bool{in.DisplayLicense, in.DisplayLicenses} {
		if d != nil && bool(*d) {
			warn("stack.installation.displayLicense: Kiln images show no license at first boot")
			break
		}
	}
	if in.Firewall != nil {
		if *in.Firewall {
			warn("stack.installation.firewall: Kiln does not configure a firewall in images")
		}
		ip.FirewallEnabled = uforge.Bool(false)
	}
	if in.WelcomeMessage != "" {
		warn("stack.installation.welcomeMessage: Kiln does not show a welcome message in images")
	}
	switch m := strings.ToLower(string(in.SeLinuxMode)); m {
	case "":
	case "disabled":
		ip.SeLinuxMode = uforge.Str(m)
	default:
		warn("stack.installation.seLinuxMode (%s): Debian images have no SELinux", in.SeLinuxMode)
	}
	if r := in.RootUser; r != nil {
		ru := &uforge.OSUser{DisablePasswordLogin: ptrBool(r.DisablePasswordLogin)}
		if r.Password != "" {
			if r.SetPassword != nil && !*r.SetPassword {
				warn("stack.installation.rootUser: setPassword is false, the password is not set")
			} else {
				ru.Password = strPtr(r.Password)
			}
		}
		ru.SSHKeys = sshKeys(r.SSHKeys)
		ip.RootUser = ru
	}
	for i, u := range in.Users {
		if strings.TrimSpace(string(u.Name)) == "" {
			return nil, fmt.Errorf("stack.installation.users[%d]: name is required", i)
		}
		w := uforge.OSUser{
			Name: strPtr(u.Name), FullName: strPtr(u.FullName), UserID: strPtr(u.UserID), PrimaryGroup: strPtr(u.PrimaryGroup),
			SecondaryGroups: strPtr(String(u.SecondaryGroups)), HomeDir: strPtr(u.HomeDir), Shell: strPtr(u.Shell),
			Password: strPtr(u.Password), SystemUser: ptrBool(u.SystemUser), SSHKeys: sshKeys(u.SSHKeys),
		}
		if u.Sudo != nil && *u.Sudo {
			w.Sudo = uforge.Int(1)
		}
		ip.Users = append(ip.Users, w)
	}
	for i, g := range in.Groups {
		if strings.TrimSpace(string(g.Name)) == "" {
			return nil, fmt.Errorf("stack.installation.groups[%d]: name is required", i)
		}
		ip.Groups = append(ip.Groups, uforge.OSGroup{Name: strPtr(g.Name), GroupID: strPtr(g.GroupID), SystemGroup: ptrBool(g.SystemGroup)})
	}
	if in.Partitioning != nil {
		planPartitioning(in.Partitioning, ip, warn)
	}
	return ip, nil
}

func sshKeys(keys []SSHKey) []uforge.SSHKey {
	var out []uforge.SSHKey
	for i, k := range keys {
		name := k.Name
		if name == "" {
			name = String(fmt.Sprintf("key%d", i+1))
		}
		out = append(out, uforge.SSHKey{Name: strPtr(name), PublicKey: uforge.Str(strings.TrimSpace(string(k.PublicKey)))})
	}
	return out
}

// planPartitioning keeps the part of hammr's model Kiln builds: plain
// partitions (ext2/3/4, xfs, swap) on one disk; the logical partitions of an
// Extended one become plain partitions. Anything else (LVM, a second disk,
// other filesystems) makes the whole partitioning fall back to the automatic
// layout, with a warning naming what was not honoured.
func planPartitioning(pt *Partitioning, ip *uforge.InstallProfile, warn func(string, ...any)) {
	var unsupported []string
	if len(pt.VolumeGroups) > 0 {
		unsupported = append(unsupported, "LVM volume groups ("+listNames(pt.VolumeGroups)+")")
	}
	if len(pt.LogicalVolumes) > 0 {
		unsupported = append(unsupported, "LVM logical volumes ("+listNames(pt.LogicalVolumes)+")")
	}
	if len(pt.Disks) == 0 {
		if len(unsupported) == 0 {
			warn("stack.installation.partitioning: no disks; the automatic layout is used")
			return
		}
	}
	for i, d := range pt.Disks {
		if i > 0 {
			unsupported = append(unsupported, fmt.Sprintf("a second disk (%s): Kiln builds images of one disk", d.Name))
		}
		if t := strings.ToLower(string(d.Type)); t != "" && t != "msdos" {
			unsupported = append(unsupported, fmt.Sprintf("disk %s of type %s", d.Name, d.Type))
		}
	}
	var parts []uforge.Partition
	var flattened []string
	disk := "sda"
	var walk func(ps []Partition, where string, logical bool)
	walk = func(ps []Partition, where string, logical bool) {
		for i, p := range ps {
			w := fmt.Sprintf("%s.partitions[%d]", where, i)
			fs := strings.ToLower(strings.TrimSpace(string(p.Fstype)))
			switch fs {
			case "extended":
				if logical {
					unsupported = append(unsupported, w+": an extended partition inside an extended one")
					continue
				}
				flattened = append(flattened, partName(disk, p, i))
				walk(p.Partitions, w, true)
				continue
			case "swap", "linux-swap":
				fs = "linux-swap"
			case "ext2", "ext3", "ext4", "xfs":
			case "lvm2":
				unsupported = append(unsupported, fmt.Sprintf("LVM physical volume %s", partName(disk, p, i)))
				continue
			case "":
				unsupported = append(unsupported, w+": no fstype")
				continue
			default:
				unsupported = append(unsupported, fmt.Sprintf("filesystem %s on %s (Kiln makes ext2, ext3, ext4, xfs and swap)", p.Fstype, partName(disk, p, i)))
				continue
			}
			if fs != "linux-swap" && strings.TrimSpace(string(p.MountPoint)) == "" {
				unsupported = append(unsupported, fmt.Sprintf("partition %s without mountPoint", partName(disk, p, i)))
				continue
			}
			if len(p.Partitions) > 0 {
				unsupported = append(unsupported, w+": partitions inside a "+fs+" partition")
			}
			parts = append(parts, uforge.Partition{Fstype: uforge.Str(fs), Size: ptrInt(p.Size), Mpoint: strPtr(p.MountPoint),
				Label: strPtr(p.Label), Growable: ptrBool(p.Grow)})
		}
	}
	var first *Disk
	if len(pt.Disks) > 0 {
		first = &pt.Disks[0]
		if disk = strings.TrimSpace(string(first.Name)); disk == "" {
			disk = "sda"
		}
		walk(first.Partitions, "stack.installation.partitioning.disks[0]", false)
	}
	size := ip.DiskSize
	if first != nil && first.Size != nil && *first.Size > 0 {
		size = ptrInt(first.Size)
	}
	if len(unsupported) > 0 || len(parts) == 0 {
		if len(parts) == 0 && len(unsupported) == 0 {
			unsupported = append(unsupported, "a disk without partitions")
		}
		layout := "the automatic layout (root and swap)"
		if size != nil {
			layout += fmt.Sprintf(" is used on a %d MB disk", *size)
			ip.DiskSize = size
		} else {
			layout += " is used"
		}
		warn("stack.installation.partitioning: Kiln does not support %s; %s", strings.Join(unsupported, ", "), layout)
		return
	}
	if len(flattened) > 0 {
		warn("stack.installation.partitioning: Kiln writes a GPT table; the logical partitions of extended partition %s become plain partitions",
			strings.Join(flattened, ", "))
	}
	ip.PartitionAuto = uforge.Bool(false)
	ip.DiskSize = size
	wd := uforge.Disk{Name: uforge.Str("sda"), PartitionType: uforge.Str("MSDOS"), Size: size, Partitions: parts}
	if n := strings.ToLower(disk); slices.Contains([]string{"sda", "sdb", "sdc", "sdd", "sde", "sdf"}, n) {
		wd.Name = uforge.Str(n)
	}
	ip.PartitionTable = &uforge.PartitionTable{Disks: []uforge.Disk{wd}}
}

// partName names a partition as Linux would: sda5, or sda#3 without a number.
func partName(disk string, p Partition, i int) string {
	if p.Number != nil {
		return fmt.Sprintf("%s%d", disk, *p.Number)
	}
	return fmt.Sprintf("%s#%d", disk, i+1)
}
