package scan

import (
	"strings"

	"github.com/kilnhq/kiln/internal/record"
)

// readNetworkManager reads NetworkManager's keyfiles
// (/etc/NetworkManager/system-connections). Methods "auto" become "dhcp" and
// "manual" becomes "static", the words the rest of Kiln uses.
func readNetworkManager(t *tree, n *notes) []record.ScanInterface {
	var out []record.ScanInterface
	for _, file := range globInTree(t, "/etc/NetworkManager/system-connections/*") {
		i := record.ScanInterface{Source: "networkmanager", File: file}
		id, kind := "", ""
		for _, e := range parseINI(readOptional(t, file, n)) {
			six := e.Section == "ipv6"
			if e.Section != "ipv4" && !six {
				switch e.Section + "." + e.Key {
				case "connection.id":
					id = e.Value
				case "connection.interface-name":
					i.Name = e.Value
				case "connection.type":
					kind = e.Value
				}
				continue
			}
			switch {
			case e.Key == "method":
				m := nmMethod(e.Value)
				if six {
					i.Method6 = m
				} else {
					i.Method = m
				}
			case e.Key == "dns":
				i.DNS = appendUnique(i.DNS, strings.FieldsFunc(e.Value, func(r rune) bool { return r == ';' || r == ',' })...)
			case e.Key == "gateway":
				setGateway(&i, six, e.Value)
			case strings.HasPrefix(e.Key, "address"): // address1=10.0.0.5/24,10.0.0.1
				for _, a := range strings.Split(e.Value, ";") {
					addr, gw, _ := strings.Cut(a, ",")
					i.Addresses = appendUnique(i.Addresses, strings.TrimSpace(addr))
					if gw = strings.TrimSpace(gw); gw != "" {
						setGateway(&i, six, gw)
					}
				}
			}
		}
		if kind == "loopback" {
			continue
		}
		if i.Name == "" {
			i.Name = id
		}
		out = append(out, i)
	}
	return out
}

func nmMethod(m string) string {
	switch m {
	case "auto":
		return "dhcp"
	case "manual":
		return "static"
	}
	return m
}

func setGateway(i *record.ScanInterface, six bool, gw string) {
	if six {
		i.Gateway6 = gw
	} else {
		i.Gateway = gw
	}
}
