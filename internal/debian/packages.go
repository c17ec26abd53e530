package debian

// bootBase is what every bootable image needs besides its network stack: a
// kernel, systemd as init, an initramfs builder, udev (device nodes,
// predictable NIC names) and the tools for the root filesystem's fsck at boot.
// Kiln builds amd64 images only, hence the kernel's flavour.
var bootBase = []string{"linux-image-amd64", "systemd-sysv", "initramfs-tools", "udev", "e2fsprogs"}

// networkStack is the DHCP network stack of Kiln's images of release r: what
// internal/configure's network configuration runs on. configure writes an
// ifupdown interfaces(5) file ("auto /e*/1=nic", "iface nic inet dhcp"), fails
// without /sbin/ifup, and leaves /etc/resolv.conf to the DHCP client's hook,
// which its comments and docs/spec.md say is dhclient's.
//
// Decision (the release table's dhcpClient): ifupdown and isc-dhcp-client for
// every release Kiln builds, trixie included.
//   - bullseye and bookworm: both are Priority important, Debian's default
//     stack (ifupdown 0.8.36 and 0.8.41 recommend isc-dhcp-client).
//   - trixie: dhcpcd-base replaced isc-dhcp-client as the Priority important
//     DHCP client (#1038882) and ifupdown 0.8.44 recommends it first, but
//     ifupdown's dhcp method still runs dhclient before dhcpcd when both are
//     installed (#1006263 was never acted on), isc-dhcp-client is still in
//     trixie's main, and with dhcpcd an "inet dhcp" stanza also starts IPv6
//     autoconfiguration. Images of trixie have always run dhclient (the
//     rootfs list added isc-dhcp-client to all of them); keeping it keeps
//     what configure and the documentation describe. The standard profiles of
//     trixie asked for dhcpcd-base too until they took this list: the
//     "important" variant still installs it, unused.
//
// A release that no longer ships isc-dhcp-client takes dhcpcd-base, and
// configure's resolv.conf note and docs/spec.md change with it.
func networkStack(r Release) []string {
	return []string{"ifupdown", r.dhcpClient}
}

// BootPackages returns the packages every bootable image of release (a number
// or codename) needs whatever its spec says: kernel, init, initramfs, udev,
// e2fsprogs and the network stack internal/configure sets up. A release Kiln
// does not build, or "", gets the list of the newest one it does. The caller
// owns the slice.
func BootPackages(release string) []string {
	return append(append([]string(nil), bootBase...), networkStack(built(release))...)
}

// SystemContainerPackages returns what a system container (LXC) of release
// needs to run like a machine without a kernel of its own: systemd as init and
// the network stack configure sets up. Unknown releases are taken as in
// BootPackages. The caller owns the slice.
func SystemContainerPackages(release string) []string {
	return append([]string{"systemd-sysv"}, networkStack(built(release))...)
}

// built returns the supported release named release, else the newest
// supported one.
func built(release string) Release {
	if r, ok := Lookup(release); ok && r.Status == Supported {
		return r
	}
	s := SupportedReleases()
	return s[len(s)-1]
}
