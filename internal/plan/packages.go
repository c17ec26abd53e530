package plan

import (
	"sort"

	"github.com/kilnhq/kiln/internal/configure"
	"github.com/kilnhq/kiln/internal/debian"
	"github.com/kilnhq/kiln/internal/spec"
	"github.com/kilnhq/kiln/internal/target"
	"github.com/kilnhq/kiln/internal/target/live"
)

// packageSet returns the packages to install for s: its own packages plus what
// the tree's kind (a kernel and its boot stack, or a container's init), a live
// medium, cloud-init and the install profile need, sorted by name, without
// duplicates. A version given in the spec wins over unversioned additions.
func packageSet(s *spec.Spec, f target.Format, kind configure.Kind) []spec.Package {
	want := map[string]string{}
	add := func(version string, names ...string) {
		for _, name := range names {
			if v, ok := want[name]; !ok || v == "" {
				want[name] = version
			}
		}
	}
	for _, p := range s.Packages {
		add(p.Version, p.Name)
	}
	switch kind {
	case configure.Machine: // a kernel, an init, an initramfs, udev, fsck, DHCP networking
		add("", debian.BootPackages(s.Distribution.Release)...)
	case configure.SystemContainer: // an init and DHCP networking, on the host's kernel
		add("", debian.SystemContainerPackages(s.Distribution.Release)...)
	case configure.AppContainer: // only what the spec asks for
	}
	if f.Packaging == target.PackagingISO || f.Packaging == target.PackagingPXE {
		add("", live.Packages()...) // live-boot: finds the squashfs and mounts it under an overlay
	}
	in := &s.Install
	if in.CloudInit != nil {
		// growpart (cloud-guest-utils) is what cloud-init's growpart module
		// calls to extend the root partition to the disk the instance got.
		add("", "cloud-init", "cloud-guest-utils")
	}
	if needsLocales(in.Locale) {
		add("", "locales")
	}
	if in.Keyboard != "" && in.Keyboard != "us" {
		add("", "keyboard-configuration", "console-setup")
	}
	sshKeys := len(in.RootSSHKeys) > 0
	for _, u := range in.Users {
		if u.Sudo {
			add("", "sudo")
		}
		sshKeys = sshKeys || len(u.SSHKeys) > 0
	}
	if sshKeys {
		add("", "openssh-server")
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
