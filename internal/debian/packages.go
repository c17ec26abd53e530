package debian

import "slices"

// bootBase is what every bootable image needs besides its network stack: a
// kernel, systemd as init, an initramfs builder, udev (device nodes,
// predictable NIC names) and the tools for the root filesystem's fsck at boot.
// Kiln builds amd64 images only, hence the kernel's flavour.
var bootBase = []string{"linux-image-amd64", "systemd-sysv", "initramfs-tools", "udev", "e2fsprogs"}

// networkStack is the DHCP network stack internal/configure's network
// configuration runs on, on every release: configure writes an ifupdown
// interfaces(5) file ("auto /e*/1=nic", "iface nic inet dhcp"), fails without
// /sbin/ifup, and leaves /etc/resolv.conf to the DHCP client's hook, which its
// comments and docs/spec.md say is dhclient's.
//
// Decision: ifupdown and isc-dhcp-client on every release Kiln builds, and
// on trixie dhcpcd-base besides (BootPackages adds a release's own default
// DHCP client).
//   - bullseye, bookworm: both are Priority important, Debian's default stack
//     (ifupdown 0.8.36 and 0.8.41 recommend isc-dhcp-client).
//   - trixie: dhcpcd-base replaced isc-dhcp-client as the Priority important
//     DHCP client (#1038882) and ifupdown 0.8.44 recommends it first, but
//     ifupdown's dhcp method still runs dhclient before dhcpcd when both are
//     installed (#1006263 was never acted on), and with dhcpcd an "inet dhcp"
//     stanza would also start IPv6 autoconfiguration. isc-dhcp-client is still
//     in trixie's main, so trixie images keep running dhclient, as they always
//     have and as configure and the documentation say; dhcpcd-base, which the
//     trixie profiles always asked for and a trixie machine has, stays
//     installed and idle.
//
// A release that no longer ships isc-dhcp-client makes dhcpcd the client
// ifupdown runs: its resolv.conf hook, configure's note in resolv.conf and
// docs/spec.md then change together.
var networkStack = []string{"ifupdown", "isc-dhcp-client"}

// BootPackages returns the packages every bootable image of release (a number
// or codename) needs whatever its spec says: kernel, init, initramfs, udev,
// e2fsprogs, the network stack internal/configure sets up, and the release's
// own default DHCP client when it is another one (trixie's dhcpcd-base). A
// release Kiln does not build, or "", gets the list without a release's own
// client. The caller owns the slice.
func BootPackages(release string) []string {
	out := append(append([]string(nil), bootBase...), networkStack...)
	if r, ok := Lookup(release); ok && r.Status == Supported && !slices.Contains(out, r.dhcpClient) {
		out = append(out, r.dhcpClient)
	}
	return out
}

// SystemContainerPackages returns what a system container (LXC) needs to run
// like a machine without a kernel of its own: systemd as init and the network
// stack configure sets up. The list is the same for every release. The caller
// owns the slice.
func SystemContainerPackages(release string) []string {
	return append([]string{"systemd-sysv"}, networkStack...)
}
