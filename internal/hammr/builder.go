package hammr

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/kilnhq/kiln/internal/uforge"
)

// Builder is one entry of "builders" (contract §9.2). Only the keys that
// shape a generation are read; publish settings (account, region, bucket …)
// are left alone, as hammr's build leaves them.
type Builder struct {
	Type             String            `json:"type,omitempty" yaml:"type,omitempty"`
	HardwareSettings *HardwareSettings `json:"hardwareSettings,omitempty" yaml:"hardwareSettings,omitempty"`
	Installation     *BuilderInstall   `json:"installation,omitempty" yaml:"installation,omitempty"`
	DisableRootLogin *Bool             `json:"disableRootLogin,omitempty" yaml:"disableRootLogin,omitempty"`
	Entrypoint       any               `json:"entrypoint,omitempty" yaml:"entrypoint,omitempty"`
	PublicBaseBox    *Bool             `json:"publicBaseBox,omitempty" yaml:"publicBaseBox,omitempty"`
	OSUser           String            `json:"osUser,omitempty" yaml:"osUser,omitempty"`
	SSHKey           any               `json:"sshKey,omitempty" yaml:"sshKey,omitempty"`
}

// HardwareSettings: memory in MB, VMware hardware version.
type HardwareSettings struct {
	Memory *Int `json:"memory,omitempty" yaml:"memory,omitempty"`
	HWType *Int `json:"hwType,omitempty" yaml:"hwType,omitempty"`
}

// BuilderInstall overrides the disk of the template (MB).
type BuilderInstall struct {
	DiskSize *Int `json:"diskSize,omitempty" yaml:"diskSize,omitempty"`
	SwapSize *Int `json:"swapSize,omitempty" yaml:"swapSize,omitempty"`
}

// builderFile is a builder file: {"builders": […]}; a template file is one too.
type builderFile struct {
	Builders []Builder `json:"builders"`
	Stack    any       `json:"stack"`
	Accounts any       `json:"accounts"`
}

// ParseBuilders reads the builders of a builder file or a template file.
func ParseBuilders(name string, data []byte) ([]Builder, error) {
	f, err := FormatOf(name)
	if err != nil {
		return nil, err
	}
	var b builderFile
	if _, err := decode(data, f, &b); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(b.Builders) == 0 {
		return nil, fmt.Errorf(`%s: no "builders"`, name)
	}
	for i, bd := range b.Builders {
		if strings.TrimSpace(string(bd.Type)) == "" {
			return nil, fmt.Errorf("%s: builders[%d]: type is required", name, i)
		}
	}
	return b.Builders, nil
}

// rule is hammr's per-format generation rule (generate_utils.py, contract §9.3).
type rule struct {
	compress  bool
	memory    bool // hardwareSettings.memory is required and sent as memorySize
	hwType    bool // hardwareSettings.hwType is sent
	aws       bool // ebs, ebsVolumeSize = installation.diskSize (required), disableRootLogin
	container bool // entrypoint required
	vagrant   bool
}

// rules is keyed by targetFormat.format.name, lower-cased, '-' as '_'.
var rules = map[string]rule{
	"vcloud":          {memory: true, hwType: true},
	"vcenter":         {memory: true, hwType: true},
	"openstackqcow2":  {},
	"openstackvhd":    {},
	"openstackvmdk":   {},
	"openstackvdi":    {},
	"susecloud":       {},
	"azure":           {},
	"outscale":        {},
	"k5vmdk":          {},
	"aws":             {aws: true},
	"pxe":             {},
	"cloudstackqcow2": {compress: true, memory: true},
	"cloudstackvhd":   {compress: true, memory: true},
	"cloudstackova":   {compress: true, memory: true},
	"google":          {compress: true},
	"oracleraw":       {compress: true},
	"iso":             {compress: true},
	"raw":             {compress: true},
	"targz":           {compress: true},
	"lxc":             {compress: true},
	"ovf":             {compress: true, memory: true, hwType: true},
	"vmware":          {compress: true, memory: true, hwType: true},
	"kvm":             {compress: true, memory: true},
	"vbox":            {compress: true, memory: true},
	"qcow2":           {compress: true, memory: true},
	"vhd":             {compress: true, memory: true},
	"xen":             {compress: true, memory: true},
	"xenserver":       {compress: true, memory: true},
	"hyper_v":         {compress: true, memory: true},
	"vagrant":         {compress: true, memory: true, vagrant: true},
	"docker":          {compress: true, container: true},
	"openshift":       {compress: true, container: true},
}

func ruleKey(format string) string {
	return strings.ToLower(strings.ReplaceAll(format, "-", "_"))
}

// aliases are the primitive-style builder types of older hammr examples
// ("ami", "vcd", "citrix-xen" …), mapped to Kiln's primitive format names.
var aliases = map[string]string{
	"ami": "aws", "vcd": "vcloud", "gce": "google", "citrixxen": "xenserver", "openstack": "openstackqcow2",
	"virtualbox": "vbox", "hyperv": "hyper-v", "vsphere": "vcenter", "ova": "ovf",
}

// MatchFormat finds the target format a builder type names: exactly by name
// as hammr does, then (for older files) by name in any case, by primitive
// format name ("qcow2", "cloudstack-qcow2") or by an old alias ("ami").
// inexact is set when the match was not exact, so the caller can say so.
func MatchFormat(typ string, formats []uforge.TargetFormat) (tf *uforge.TargetFormat, inexact bool, err error) {
	typ = strings.TrimSpace(typ)
	for i := range formats {
		if uforge.StrValue(formats[i].Name) == typ {
			return &formats[i], false, nil
		}
	}
	for i := range formats {
		if strings.EqualFold(uforge.StrValue(formats[i].Name), typ) {
			return &formats[i], true, nil
		}
	}
	squash := func(s string) string {
		return strings.NewReplacer("-", "", "_", "", " ", "").Replace(strings.ToLower(s))
	}
	want := squash(typ)
	if a, ok := aliases[want]; ok {
		want = squash(a)
	}
	for i := range formats {
		if f := formats[i].Format; f != nil && squash(uforge.StrValue(f.Name)) == want {
			return &formats[i], true, nil
		}
	}
	var names []string
	for _, f := range formats {
		if uforge.BoolValue(f.Active) {
			names = append(names, fmt.Sprintf("%q", uforge.StrValue(f.Name)))
		}
	}
	return nil, false, fmt.Errorf("Builder type unknown: %q (this server generates %s)", typ, strings.Join(names, ", "))
}

// RequestOptions say where an image request goes.
type RequestOptions struct {
	// Scan: the image is built from a scan (hammr's scan build), which needs
	// installation.diskSize and hardwareSettings.memory in every builder.
	Scan bool
	// AutoPartition is the appliance's installProfile.partitionAuto: only then
	// does a builder's installation (disk and swap sizes) apply (contract §8.1).
	AutoPartition bool
}

// Request builds the image request of builder b (index i in its file) for the
// target format tf, with hammr's rules (contract §8.1, §8.6, §9.3). Warnings
// name builder settings Kiln does not honour.
func Request(i int, b Builder, tf *uforge.TargetFormat, o RequestOptions) (*uforge.Image, []string, error) {
	where := fmt.Sprintf("builders[%d] (%s)", i, b.Type)
	var warns []string
	warn := func(format string, args ...any) { warns = append(warns, where+": "+fmt.Sprintf(format, args...)) }
	prim := ""
	if tf.Format != nil {
		prim = uforge.StrValue(tf.Format.Name)
	}
	r, ok := rules[ruleKey(prim)]
	if !ok {
		return nil, nil, fmt.Errorf("%s: Builder type unknown: target format %q (%s) has no generation rule", where, uforge.StrValue(tf.Name), prim)
	}
	var mem, disk, swap *int64
	if hs := b.HardwareSettings; hs != nil {
		mem = ptrInt(hs.Memory)
	}
	if in := b.Installation; in != nil {
		disk, swap = ptrInt(in.DiskSize), ptrInt(in.SwapSize)
	}
	if o.Scan {
		var missing []string
		if disk == nil {
			missing = append(missing, "installation.diskSize")
		}
		if mem == nil {
			missing = append(missing, "hardwareSettings.memory")
		}
		if len(missing) > 0 {
			return nil, nil, fmt.Errorf("%s: a build from a scan needs %s", where, strings.Join(missing, " and "))
		}
	}
	if r.memory && mem == nil {
		return nil, nil, fmt.Errorf("%s: no hardwareSettings part for builder [%s]: hardwareSettings.memory (MB) is required for this format", where, b.Type)
	}
	for _, v := range []struct {
		p    *int64
		name string
	}{{mem, "hardwareSettings.memory"}, {disk, "installation.diskSize"}} {
		if v.p != nil && *v.p <= 0 {
			return nil, nil, fmt.Errorf("%s: %s must be a positive number of MB", where, v.name)
		}
	}
	if swap != nil && *swap < 0 {
		return nil, nil, fmt.Errorf("%s: installation.swapSize must not be negative", where)
	}

	img := &uforge.Image{Compress: uforge.Bool(r.compress), TargetFormat: tf}
	ip := &uforge.InstallProfile{}
	switch {
	case o.Scan || o.AutoPartition:
		ip.DiskSize, ip.SwapSize = disk, swap
		if o.Scan && swap != nil && *swap == 0 {
			ip.SwapSize = nil // a scan image keeps the scanned swap unless a size is given
		}
	case disk != nil || swap != nil:
		warn("installation (disk and swap sizes) ignored: the template has its own partitioning")
	}
	if r.memory || o.Scan {
		ip.MemorySize = mem
	}
	if hs := b.HardwareSettings; hs != nil && hs.HWType != nil {
		if r.hwType {
			if !slices.Contains([]int64{4, 7, 9, 10, 11, 13, 14, 15, 17, 19, 20}, int64(*hs.HWType)) {
				return nil, nil, fmt.Errorf("%s: hardwareSettings.hwType %d is not a VMware hardware version (4, 7, 9, 11 …)", where, *hs.HWType)
			}
			ip.HWType = uforge.Str(strconv.FormatInt(int64(*hs.HWType), 10))
		} else {
			warn("hardwareSettings.hwType ignored: only VMware formats have a hardware version")
		}
	}
	if r.aws {
		if disk == nil {
			return nil, nil, fmt.Errorf("%s: installation.diskSize is required for Amazon AWS (the EBS volume size)", where)
		}
		img.EBS = uforge.Bool(true)
		img.EBSVolumeSize = uforge.Int(int(*disk))
		if b.DisableRootLogin != nil {
			ip.RootUser = &uforge.OSUser{DisablePasswordLogin: ptrBool(b.DisableRootLogin)}
			warn("disableRootLogin is not applied by Kiln to an image request; set stack.installation.rootUser.disablePasswordLogin in the template")
		}
	} else if b.DisableRootLogin != nil {
		warn("disableRootLogin ignored: it is an Amazon AWS setting")
	}
	if r.container {
		ep, err := entrypoint(b.Entrypoint)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", where, err)
		}
		if ep == "" {
			return nil, nil, fmt.Errorf(`%s: entrypoint is required for container formats (exec form, e.g. ["/usr/sbin/nginx", "-g", "daemon off;"])`, where)
		}
		img.Entrypoint = uforge.Str(ep)
	} else if b.Entrypoint != nil {
		warn("entrypoint ignored: only container formats have one")
	}
	// hammr reads osUser and sshKey only with publicBaseBox true.
	if b.PublicBaseBox != nil && *b.PublicBaseBox {
		if r.vagrant {
			warn("publicBaseBox with osUser and sshKey is not supported: Kiln builds the standard base box (user vagrant, Vagrant's insecure key)")
		} else {
			warn("publicBaseBox ignored: it is a Vagrant setting")
		}
	}
	if ip.DiskSize != nil || ip.SwapSize != nil || ip.MemorySize != nil || ip.HWType != nil || ip.RootUser != nil {
		img.InstallProfile = ip
	}
	return img, warns, nil
}

// entrypoint is UForge's image.entrypoint: a JSON array (exec form) or a string.
func entrypoint(v any) (string, error) {
	switch t := v.(type) {
	case nil:
		return "", nil
	case string:
		return strings.TrimSpace(t), nil
	case []any:
		args := make([]string, len(t))
		for i, a := range t {
			s, ok := a.(string)
			if !ok {
				return "", fmt.Errorf("entrypoint[%d]: %v is not a string", i, a)
			}
			args[i] = s
		}
		b, err := json.Marshal(args)
		return string(b), err
	}
	return "", errors.New("entrypoint: want a list of strings (exec form) or a string")
}
