package configure

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/kilnhq/kiln/internal/spec"
)

// The first NIC is bound by an ifupdown pattern instead of a name: "/e*/1" is the
// first interface whose name starts with "e" (eth0, ens3, enp0s3, eno1 …), and
// "=nic" maps it to the logical interface "nic" configured below. allow-hotplug
// (not auto) makes udev's ifupdown hook bring it up whenever the device appears,
// so a slow NIC is not raced by networking.service at boot. dhclient-script
// writes /etc/resolv.conf from the lease itself: no systemd-resolved needed.
const interfacesHeader = `# Written by Kiln. See interfaces(5), "PATTERN MATCHING INTERFACES".
source /etc/network/interfaces.d/*

auto lo
iface lo inet loopback

# The first Ethernet interface, whatever its name.
allow-hotplug /e*/1=nic
`

// network writes /etc/network/interfaces for DHCP (default) or a static address.
func network(t tree, n spec.Network) error {
	if !t.exists("/sbin/ifup") && !t.exists("/usr/sbin/ifup") {
		return fmt.Errorf("ifupdown: %w", errNotInstalled)
	}
	conf := interfacesHeader
	switch n.Mode {
	case "", "dhcp":
		conf += "iface nic inet dhcp\n"
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
	return t.writeFile("/etc/network/interfaces", []byte(conf), 0o644, rootOwner)
}
