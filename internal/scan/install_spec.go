package scan

import (
	"strings"

	"github.com/kilnhq/kiln/internal/record"
	"github.com/kilnhq/kiln/internal/spec"
)

const mib = 1 << 20

// Spec is what the scan report r contributes to a build spec: the distribution, every
// installed package pinned to its scanned version (scans skip dependency
// resolution to keep the scanned package list, §4.1 of the API contract), and
// the install profile. Output is the image request's business.
func Spec(r *record.ScanReport) spec.Spec {
	s := spec.Spec{
		Version: spec.Version,
		Name:    r.Hostname,
		Distribution: spec.Distribution{
			Name:    r.Distribution.ID,
			Release: r.Distribution.VersionID,
			Arch:    r.Distribution.Arch,
		},
		Install: Install(&r.Profile),
	}
	for _, p := range r.Packages {
		name := p.Name
		if p.Arch != "" && p.Arch != "all" && p.Arch != r.Distribution.Arch {
			name += ":" + p.Arch // a foreign-architecture package
		}
		s.Packages = append(s.Packages, spec.Package{Name: name, Version: p.Version})
	}
	return s
}

// Install maps the scanned profile onto a build spec's install profile. The
// choices, each because the image is a new machine built from the same packages:
//   - only regular accounts (uid/gid 1000–65533) are listed: packages recreate
//     system accounts when they are installed;
//   - locked or empty password hashes are left out (the account stays locked);
//   - sudo rights are not turned into spec.User.Sudo (passwordless): membership
//     of the sudo group is kept as a group, and /etc/sudoers.d travels in the
//     overlay;
//   - SSH keys with options ("command=… ssh-ed25519 …") are left to the overlay,
//     which carries authorized_keys whole;
//   - the disk is the sum of the local filesystems (the generator's default
//     layout then splits it), swap the sum of the swap areas;
//   - the first interface with a static IPv4 address keeps it; anything else
//     becomes DHCP (§4.1: "static IPs are kept and DHCP is reset").
func Install(p *record.ScanProfile) spec.Install {
	in := spec.Install{
		Hostname:         p.Hostname,
		RootPasswordHash: usableHash(p.RootPasswordHash),
		RootSSHKeys:      plainKeys(p.RootSSHKeys),
		Timezone:         p.Timezone,
		Keyboard:         strings.Split(p.Keyboard, ",")[0],
		Locale:           p.Locale,
	}
	for _, k := range p.Kernel {
		if !strings.ContainsAny(k, "\"'\\") {
			in.KernelParameters = append(in.KernelParameters, k)
		}
	}
	for _, g := range p.Groups {
		if !g.System {
			in.Groups = append(in.Groups, spec.Group{Name: g.Name, GID: g.GID})
		}
	}
	for _, u := range p.Users {
		if u.System {
			continue
		}
		in.Users = append(in.Users, spec.User{
			Name:         u.Name,
			FullName:     u.FullName,
			UID:          u.UID,
			PrimaryGroup: u.PrimaryGroup,
			Groups:       u.Groups,
			Home:         u.Home,
			Shell:        u.Shell,
			PasswordHash: usableHash(u.PasswordHash),
			SSHKeys:      plainKeys(u.SSHKeys),
		})
	}
	var disk int64
	for _, fs := range p.Filesystems {
		if diskFilesystem(fs.FSType) && fs.MountPoint != "/boot/efi" {
			disk += fs.SizeBytes
		}
	}
	in.Disk.SizeMB = ceilMiB(disk)
	in.Disk.SwapMB = ceilMiB(p.SwapBytes)
	in.Network = spec.Network{Mode: "dhcp"}
	for _, i := range p.Network {
		if i.Method != "static" {
			continue
		}
		for _, a := range i.Addresses {
			if !isIPv6(a) {
				in.Network = spec.Network{Mode: "static", Address: a, Gateway: i.Gateway, DNS: i.DNS}
				return in
			}
		}
	}
	return in
}

func ceilMiB(b int64) int64 { return (b + mib - 1) / mib }

// usableHash keeps a crypt(3) hash that allows a login; "!…" (locked), "*" (no
// password) and "" are dropped.
func usableHash(h string) string {
	if h == "" || h[0] == '!' || h[0] == '*' {
		return ""
	}
	return h
}

// plainKeys keeps the authorized_keys lines that are a bare public key.
func plainKeys(keys []string) []string {
	var out []string
	for _, k := range keys {
		t := strings.Fields(k)
		if len(t) >= 2 && (strings.HasPrefix(t[0], "ssh-") || strings.HasPrefix(t[0], "ecdsa-") || strings.HasPrefix(t[0], "sk-")) {
			out = append(out, k)
		}
	}
	return out
}
