package scan

import (
	"net"
	"net/netip"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/kilnhq/kiln/internal/record"
)

// readNetwork collects the interface configurations of the three configuration
// systems a Debian machine may use. All are reported: which one is active is the
// services' business (ScanProfile.Services says which daemons are enabled).
func readNetwork(t *tree, n *notes) []record.ScanInterface {
	var out []record.ScanInterface
	out = append(out, readIfupdown(t, n)...)
	out = append(out, readNetworkd(t, n)...)
	out = append(out, readNetworkManager(t, n)...)
	return out
}

// globInTree expands a pattern whose last component may hold wildcards (the form
// "source /etc/network/interfaces.d/*" takes) to sorted in-tree paths of regular
// files.
func globInTree(t *tree, pattern string) []string {
	dir, pat := path.Split(pattern)
	if pat == "" {
		return nil
	}
	names, err := t.readDirNames(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, name := range names {
		if ok, _ := path.Match(pat, name); !ok || name[0] == '.' && pat[0] != '.' {
			continue
		}
		if p := path.Join(dir, name); t.isRegular(p) {
			out = append(out, p)
		}
	}
	return out
}

// cidr joins an address and a dotted netmask ("10.0.0.5", "255.255.255.0" →
// "10.0.0.5/24"). An address that already has a prefix, or no valid mask, is
// returned as is.
func cidr(addr, netmask string) string {
	if strings.Contains(addr, "/") || netmask == "" {
		return addr
	}
	if bits, err := strconv.Atoi(netmask); err == nil {
		return addr + "/" + strconv.Itoa(bits) // ifupdown also accepts a prefix length
	}
	ip := net.ParseIP(netmask).To4()
	if ip == nil {
		return addr
	}
	ones, bits := net.IPMask(ip).Size()
	if bits == 0 {
		return addr // not a contiguous mask
	}
	return addr + "/" + strconv.Itoa(ones)
}

// isIPv6 reports whether an address (with or without prefix) is IPv6.
func isIPv6(addr string) bool {
	host, _, _ := strings.Cut(addr, "/")
	a, err := netip.ParseAddr(host)
	return err == nil && a.Is6() && !a.Is4In6()
}

func appendUnique(list []string, items ...string) []string {
	for _, it := range items {
		if it == "" {
			continue
		}
		if !slices.Contains(list, it) {
			list = append(list, it)
		}
	}
	return list
}
