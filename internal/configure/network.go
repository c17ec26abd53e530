package configure

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/kilnhq/kiln/internal/spec"
)

// The first NIC is bound by an ifupdown pattern instead of a name: "/e*/1" is the
// first interface whose name starts with "e" (eth0, ens3, enp0s3, eno1 …), and
// "=nic" maps it to the logical interface "nic" configured below.
//
// "auto", not "allow-hotplug": ifupdown 0.8 resolves a pattern's mapping only when
// it expands the patterns itself (ifup -a, as networking.service runs it), while the
// udev hotplug path calls "ifup --allow=hotplug eth0" and gets "unknown interface"
// (checked with the tree's own ifup). dhclient-script writes /etc/resolv.conf from
// the lease itself: no systemd-resolved needed.
const interfacesHeader = `# Written by Kiln. See interfaces(5), "PATTERN MATCHING INTERFACES".
source /etc/network/interfaces.d/*

auto lo
iface lo inet loopback

# The first Ethernet interface, whatever its name.
auto /e*/1=nic
`

// settleDropIn closes the race "auto" opens: ifupdown-pre.service only waits for
// udev to settle when ifquery already lists an interface, and a pattern lists
// nothing while the NIC's driver is still loading. Settling unconditionally means
// networking.service's "ifup -a" runs once coldplug (and the NIC) is done.
const settleDropIn = `# Written by Kiln: wait for udev coldplug, so that the NIC exists when
# networking.service expands the interface pattern in /etc/network/interfaces.
[Service]
ExecStart=
ExecStart=/bin/udevadm settle
`

const settleDropInPath = "/etc/systemd/system/ifupdown-pre.service.d/kiln-settle.conf"

const dhcpResolvConf = "# Written by Kiln: dhclient fills this in from the DHCP lease at boot.\n"

// network writes /etc/network/interfaces for DHCP (default) or a static address.
func network(t tree, n spec.Network) error {
	if !t.exists("/sbin/ifup") && !t.exists("/usr/sbin/ifup") {
		return fmt.Errorf("ifupdown: %w", errNotInstalled)
	}
	conf := interfacesHeader
	switch n.Mode {
	case "", "dhcp":
		conf += "iface nic inet dhcp\n"
		// The bootstrap leaves the build host's resolver here; the image must not
		// carry it. dhclient-script rewrites the file from the lease.
		if err := t.remove("/etc/resolv.conf"); err != nil {
			return err
		}
		if err := t.writeFile("/etc/resolv.conf", []byte(dhcpResolvConf), 0o644, rootOwner); err != nil {
			return err
		}
	case "static":
		prefix, err := netip.ParsePrefix(n.Address)
		if err != nil {
			return fmt.Errorf("static address %q: %w", n.Address, err)
		}
		family := "inet"
		if prefix.Addr().Is6() {
			family = "inet6"
		}
		conf += fmt.Sprintf("iface nic %s static\n    address %s\n", family, prefix)
		if n.Gateway != "" {
			gw, err := netip.ParseAddr(n.Gateway)
			if err != nil {
				return fmt.Errorf("gateway %q: %w", n.Gateway, err)
			}
			conf += "    gateway " + gw.String() + "\n"
		}
		// Without DHCP nobody writes resolv.conf: write the given servers.
		var rc strings.Builder
		rc.WriteString("# Written by Kiln (static network).\n")
		for _, d := range n.DNS {
			a, err := netip.ParseAddr(d)
			if err != nil {
				return fmt.Errorf("DNS server %q: %w", d, err)
			}
			rc.WriteString("nameserver " + a.String() + "\n")
		}
		if err := t.remove("/etc/resolv.conf"); err != nil {
			return err
		}
		if err := t.writeFile("/etc/resolv.conf", []byte(rc.String()), 0o644, rootOwner); err != nil {
			return err
		}
	default:
		return fmt.Errorf("network mode %q is not dhcp or static", n.Mode)
	}
	if err := t.writeFile(settleDropInPath, []byte(settleDropIn), 0o644, rootOwner); err != nil {
		return err
	}
	return t.writeFile("/etc/network/interfaces", []byte(conf), 0o644, rootOwner)
}
