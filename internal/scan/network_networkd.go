package scan

import (
	"path"
	"strings"

	"github.com/kilnhq/kiln/internal/record"
)

// readNetworkd reads the administrator's systemd-networkd .network files
// (/etc/systemd/network; the ones under /usr/lib come with packages).
func readNetworkd(t *tree, n *notes) []record.ScanInterface {
	var out []record.ScanInterface
	for _, file := range globInTree(t, "/etc/systemd/network/*.network") {
		i := record.ScanInterface{Source: "networkd", File: file}
		dhcp := ""
		for _, e := range parseINI(readOptional(t, file, n)) {
			switch e.Section + "." + e.Key {
			case "Match.Name":
				i.Name = e.Value
			case "Network.DHCP":
				dhcp = strings.ToLower(e.Value)
			case "Network.Address", "Address.Address":
				i.Addresses = appendUnique(i.Addresses, e.Value)
			case "Network.Gateway", "Route.Gateway":
				if isIPv6(e.Value) {
					i.Gateway6 = e.Value
				} else {
					i.Gateway = e.Value
				}
			case "Network.DNS":
				i.DNS = appendUnique(i.DNS, strings.Fields(e.Value)...)
			}
		}
		if i.Name == "" {
			i.Name = strings.TrimSuffix(path.Base(file), ".network")
		}
		switch dhcp {
		case "yes", "true", "both", "on", "1":
			i.Method, i.Method6 = "dhcp", "dhcp"
		case "ipv4":
			i.Method = "dhcp"
		case "ipv6":
			i.Method6 = "dhcp"
		}
		for _, a := range i.Addresses {
			switch {
			case isIPv6(a) && i.Method6 == "":
				i.Method6 = "static"
			case !isIPv6(a) && i.Method == "":
				i.Method = "static"
			}
		}
		out = append(out, i)
	}
	return out
}
