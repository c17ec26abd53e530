package hammr

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/kilnhq/kiln/internal/uforge"
)

// Export writes an appliance back as a hammr template: the stack (name,
// version, description, os with its profile and packages, installation) and
// no builders. dist is the appliance's distribution, profile its OS profile
// name; pkgs may be nil. Passwords travel as the crypt(3) hashes the server
// keeps: Kiln takes such a hash back as is when the template is created again.
func Export(app *uforge.Appliance, dist *uforge.Distribution, profile string, pkgs *uforge.PkgList, ip *uforge.InstallProfile) *Template {
	s := &Stack{
		Name:        String(uforge.StrValue(app.Name)),
		Version:     String(uforge.StrValue(app.Version)),
		Description: String(uforge.StrValue(app.Description)),
		OS:          &OS{Profile: String(profile)},
	}
	if dist != nil {
		s.OS.Name, s.OS.Version, s.OS.Arch = String(uforge.StrValue(dist.Name)), String(uforge.StrValue(dist.Version)), String(uforge.StrValue(dist.Arch))
	}
	if pkgs != nil {
		for _, p := range pkgs.Pkgs {
			// Names only: versions are the mirror's of today, not a choice of the
			// template (Kiln does not say which packages were pinned).
			s.OS.Pkgs = append(s.OS.Pkgs, Pkg{Name: String(uforge.StrValue(p.Name))})
		}
	}
	if ip != nil {
		s.Installation = exportInstall(ip)
	}
	return &Template{Stack: s}
}

func exportInstall(ip *uforge.InstallProfile) *Installation {
	in := &Installation{
		Timezone: String(uforge.StrValue(ip.Timezone)),
		Keyboard: String(uforge.StrValue(ip.Keyboard)),
	}
	if ip.DiskSize != nil {
		in.DiskSize = new(Int(*ip.DiskSize))
	}
	if ip.SwapSize != nil && *ip.SwapSize > 0 {
		in.SwapSize = new(Int(*ip.SwapSize))
	}
	for _, k := range strings.Fields(uforge.StrValue(ip.KernelParameters)) {
		in.KernelParams = append(in.KernelParams, String(k))
	}
	if r := ip.RootUser; r != nil {
		ru := &RootUser{Password: String(uforge.StrValue(r.Password)), SSHKeys: exportKeys(r.SSHKeys)}
		if uforge.BoolValue(r.DisablePasswordLogin) {
			ru.DisablePasswordLogin = new(Bool(true))
		}
		if ru.Password != "" || ru.DisablePasswordLogin != nil || len(ru.SSHKeys) > 0 {
			in.RootUser = ru
		}
	}
	for _, u := range ip.Users {
		eu := User{
			Name: String(uforge.StrValue(u.Name)), FullName: String(uforge.StrValue(u.FullName)),
			UserID: String(uforge.StrValue(u.UserID)), PrimaryGroup: String(uforge.StrValue(u.PrimaryGroup)),
			SecondaryGroups: CSV(uforge.StrValue(u.SecondaryGroups)), HomeDir: String(uforge.StrValue(u.HomeDir)),
			Shell: String(uforge.StrValue(u.Shell)), Password: String(uforge.StrValue(u.Password)), SSHKeys: exportKeys(u.SSHKeys),
		}
		if uforge.BoolValue(u.SystemUser) {
			eu.SystemUser = new(Bool(true))
		}
		if uforge.IntValue(u.Sudo) > 0 {
			eu.Sudo = new(Bool(true))
		}
		in.Users = append(in.Users, eu)
	}
	for _, g := range ip.Groups {
		eg := Group{Name: String(uforge.StrValue(g.Name)), GroupID: String(uforge.StrValue(g.GroupID))}
		if uforge.BoolValue(g.SystemGroup) {
			eg.SystemGroup = new(Bool(true))
		}
		in.Groups = append(in.Groups, eg)
	}
	if !uforge.BoolValue(ip.PartitionAuto) && ip.PartitionTable != nil && len(ip.PartitionTable.Disks) > 0 {
		d := ip.PartitionTable.Disks[0]
		ed := Disk{Name: String(uforge.StrValue(d.Name)), Type: "msdos"}
		if d.Size != nil {
			ed.Size = new(Int(*d.Size))
		}
		for i, p := range d.Partitions {
			ep := Partition{Number: new(Int(i + 1)), Fstype: String(uforge.StrValue(p.Fstype)),
				MountPoint: String(uforge.StrValue(p.Mpoint)), Label: String(uforge.StrValue(p.Label))}
			if p.Size != nil {
				ep.Size = new(Int(*p.Size))
			}
			if uforge.BoolValue(p.Growable) {
				ep.Grow = new(Bool(true))
			}
			ed.Partitions = append(ed.Partitions, ep)
		}
		in.Partitioning = &Partitioning{Disks: []Disk{ed}}
	}
	return in
}

func exportKeys(keys []uforge.SSHKey) []SSHKey {
	var out []SSHKey
	for _, k := range keys {
		out = append(out, SSHKey{Name: String(uforge.StrValue(k.Name)), PublicKey: String(uforge.StrValue(k.PublicKey))})
	}
	return out
}

// Marshal writes t in the syntax f (indented JSON, or YAML).
func Marshal(t *Template, f Format) ([]byte, error) {
	if f == YAML {
		var buf bytes.Buffer
		enc := yaml.NewEncoder(&buf)
		enc.SetIndent(2)
		if err := enc.Encode(t); err != nil {
			return nil, err
		}
		err := enc.Close()
		return buf.Bytes(), err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(t); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// MarshalYAML writes a numeric-looking String quoted, so that it reads back
// as text ("12" stays a version, not the number 12).
func (s String) MarshalYAML() (any, error) {
	v := string(s)
	if _, err := strconv.ParseFloat(v, 64); err == nil {
		return &yaml.Node{Kind: yaml.ScalarNode, Style: yaml.DoubleQuotedStyle, Value: v}, nil
	}
	return v, nil
}
