package rootfs

import (
	"sort"

	"github.com/kilnhq/kiln/internal/spec"
	"github.com/kilnhq/kiln/internal/target"
)

// bootPackages is what every bootable image needs whatever the spec says: a kernel,
// systemd as init, an initramfs builder, udev (device nodes, predictable NIC names),
// the tools for the root filesystem's fsck at boot, and the network stack.
//
// Networking is ifupdown + isc-dhcp-client, Debian's own default stack (both are
// Priority: important, so the default "important" variant already has them and they
// cost nothing extra). configure writes an interfaces(5) pattern stanza
// ("auto /e*/1=nic", "iface nic inet dhcp") that binds DHCP to the first Ethernet
// interface whatever udev named it (eth0, ens3, enp0s3 …). dhclient-script writes
// /etc/resolv.conf itself, so DNS works without systemd-resolved (which must not be
// used here). systemd-networkd would need resolved for DHCP-provided DNS.
var bootPackages = []string{
	"linux-image-amd64",
	"systemd-sysv",
	"initramfs-tools",
	"udev",
	"e2fsprogs",
	"ifupdown",
	"isc-dhcp-client",
}

// systemContainerPackages is what an LXC container needs to run like a machine
// without a kernel of its own: systemd as init and the DHCP client stack the
// configure stage sets up.
var systemContainerPackages = []string{"systemd-sysv", "ifupdown", "isc-dhcp-client"}

// PackageSet returns the packages to install for s: the spec's own packages plus
// what booting (unless the target is a container), a live medium, cloud-init
// and the install profile need, sorted by name, without duplicates.
// A version given in the spec wins over Kiln's unversioned additions.
func PackageSet(s *spec.Spec) []spec.Package {
	want := map[string]string{}
	add := func(name, version string) {
		if v, ok := want[name]; !ok || v == "" {
			want[name] = version
		}
	}
	for _, p := range s.Packages {
		add(p.Name, p.Version)
	}
	f, known := target.Resolve(s.Output.Format)
	switch {
	case !known || f.Boot != target.BootNone:
		for _, name := range bootPackages {
			add(name, "")
		}
	case f.Packaging == target.PackagingLXC:
		for _, name := range systemContainerPackages {
			add(name, "")
		}
	} // application containers (Docker) get only what the spec asks for
	if known && (f.Packaging == target.PackagingISO || f.Packaging == target.PackagingPXE) {
		// live-boot's initramfs hooks find the squashfs on the medium (or fetch
		// it over HTTP) and mount it under an overlay as the root.
		add("live-boot", "")
	}
	in := &s.Install
	if in.CloudInit != nil {
		// growpart (cloud-guest-utils) is what cloud-init's growpart module
		// calls to extend the root partition to the disk the instance got.
		add("cloud-init", "")
		add("cloud-guest-utils", "")
	}
	if needsLocales(in.Locale) {
		add("locales", "")
	}
	if in.Keyboard != "" && in.Keyboard != "us" {
		add("keyboard-configuration", "")
		add("console-setup", "")
	}
	sshKeys := len(in.RootSSHKeys) > 0
	for _, u := range in.Users {
		if u.Sudo {
			add("sudo", "")
		}
		if len(u.SSHKeys) > 0 {
			sshKeys = true
		}
	}
	if sshKeys {
		add("openssh-server", "")
	}
	out := make([]spec.Package, 0, len(want))
	for name, version := range want {
		out = append(out, spec.Package{Name: name, Version: version})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// needsLocales reports whether locale must be generated from the locales package.
// C.UTF-8 ships with libc itself (bookworm and later; bullseye has it in libc-bin).
func needsLocales(locale string) bool {
	switch locale {
	case "", "C", "POSIX", "C.UTF-8", "C.utf8":
		return false
	}
	return true
}
