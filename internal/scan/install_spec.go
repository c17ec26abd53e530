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
//   - regular accounts (uid/gid 1000–65533) are created; system ones (below
//     1000) are listed IfMissing, with their exact ids, home, shell and hash
//     (locked ones included): created only when no package of the image made
//     them, since a package's own account, whatever its uid, is the one its
//     files and scripts expect. Root, other uid 0 accounts and nobody
//     (65534) are left out: every Debian base has them;
//   - locked or empty password hashes of regular accounts are left out (the
//     account stays locked);
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
		switch {
		case !g.System:
			in.Groups = append(in.Groups, spec.Group{Name: g.Name, GID: g.GID})
		case g.GID > 0 && g.GID < nobodyID:
			in.Groups = append(in.Groups, spec.Group{Name: g.Name, GID: g.GID, System: true, IfMissing: true})
		}
	}
	for _, u := range p.Users {
		su := spec.User{
			Name:         u.Name,
			FullName:     u.FullName,
			UID:          u.UID,
			PrimaryGroup: u.PrimaryGroup,
			Groups:       u.Groups,
			Home:         u.Home,
			Shell:        u.Shell,
		}
		switch {
		case !u.System:
			su.PasswordHash, su.SSHKeys = usableHash(u.PasswordHash), plainKeys(u.SSHKeys)
		case u.UID > 0 && u.UID < nobodyID:
			// A system account locked on the source stays locked, hash as
			// is ("!…", "*"; an empty one becomes "*"); its home and SSH keys
			// travel in the overlay.
			su.PasswordHash, su.System, su.IfMissing = u.PasswordHash, true, true
		default:
			continue // root and nobody: every Debian base has them
		}
		in.Users = append(in.Users, su)
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
