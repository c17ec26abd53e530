package scan

import (
	"path"
	"strings"

	"github.com/kilnhq/kiln/internal/record"
)

// maxSourceDepth bounds "source" nesting in interfaces(5) files (a file sourcing
// itself must not loop).
const maxSourceDepth = 8

// runPartsName is the file-name rule of "source-directory" (run-parts style:
// letters, digits, "_" and "-" only, so editor backups and .dpkg-old are skipped).
func runPartsName(name string) bool {
	for _, c := range name {
		if !(c == '_' || c == '-' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
			return false
		}
	}
	return name != ""
}

// ifupdownParser accumulates the iface stanzas of /etc/network/interfaces and
// the files it sources, one ScanInterface per logical interface name.
type ifupdownParser struct {
	t     *tree
	n     *notes
	seen  map[string]bool // files already read
	order []string
	byKey map[string]*record.ScanInterface
}

// readIfupdown reads /etc/network/interfaces and what it sources. Loopback is
// left out: every image has it.
func readIfupdown(t *tree, n *notes) []record.ScanInterface {
	p := &ifupdownParser{t: t, n: n, seen: map[string]bool{}, byKey: map[string]*record.ScanInterface{}}
	p.file("/etc/network/interfaces", 0)
	var out []record.ScanInterface
	for _, name := range p.order {
		if i := p.byKey[name]; i.Method != "loopback" && name != "lo" {
			out = append(out, *i)
		}
	}
	return out
}

func (p *ifupdownParser) file(file string, depth int) {
	if depth > maxSourceDepth || p.seen[file] {
		return
	}
	p.seen[file] = true
	data := readOptional(p.t, file, p.n)
	var cur *record.ScanInterface
	inet6 := false
	for _, line := range joinContinuations(string(data)) {
		f := strings.Fields(line)
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		switch f[0] {
		case "iface":
			cur = nil
			if len(f) < 4 {
				p.n.add("%s: %q: incomplete iface line: ignored", file, line)
				continue
			}
			cur = p.iface(f[1], file)
			inet6 = f[2] == "inet6"
			if inet6 {
				cur.Method6 = f[3]
			} else if f[2] == "inet" {
				cur.Method = f[3]
			}
		case "source":
			cur = nil
			for _, pat := range f[1:] {
				for _, inc := range globInTree(p.t, p.relative(pat)) {
					p.file(inc, depth+1)
				}
			}
		case "source-directory":
			cur = nil
			for _, dir := range f[1:] {
				dir = p.relative(dir)
				names, _ := p.t.readDirNames(dir)
				for _, name := range names {
					if runPartsName(name) {
						p.file(path.Join(dir, name), depth+1)
					}
				}
			}
		case "auto", "mapping", "rename", "no-auto-down", "no-scripts":
			cur = nil
		default:
			if strings.HasPrefix(f[0], "allow-") {
				cur = nil
				continue
			}
			if cur != nil {
				p.option(cur, inet6, f)
			}
		}
	}
}

func (p *ifupdownParser) iface(name, file string) *record.ScanInterface {
	if i, ok := p.byKey[name]; ok {
		return i
	}
	i := &record.ScanInterface{Name: name, Source: "ifupdown", File: file}
	p.byKey[name] = i
	p.order = append(p.order, name)
	return i
}

// relative resolves a path of a source directive: relative ones are relative to
// /etc/network, as ifupdown reads them.
func (p *ifupdownParser) relative(name string) string {
	if strings.HasPrefix(name, "/") {
		return path.Clean(name)
	}
	return path.Join("/etc/network", name)
}

// option applies one option line of an iface stanza. "address" may carry a prefix
// or be completed by a later "netmask"; the netmask is applied when it comes.
func (p *ifupdownParser) option(i *record.ScanInterface, inet6 bool, f []string) {
	if len(f) < 2 {
		return
	}
	switch f[0] {
	case "address":
		i.Addresses = append(i.Addresses, f[1])
	case "netmask":
		if n := len(i.Addresses); n > 0 {
			i.Addresses[n-1] = cidr(i.Addresses[n-1], f[1])
		}
	case "gateway":
		if inet6 {
			i.Gateway6 = f[1]
		} else {
			i.Gateway = f[1]
		}
	case "dns-nameservers", "dns-nameserver":
		i.DNS = appendUnique(i.DNS, f[1:]...)
	}
}

// joinContinuations splits a file into lines, joining those ending in a
// backslash with the next.
func joinContinuations(s string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(s, "\n") {
		if strings.HasSuffix(line, `\`) {
			cur.WriteString(strings.TrimSuffix(line, `\`))
			cur.WriteByte(' ')
			continue
		}
		cur.WriteString(line)
		out = append(out, cur.String())
		cur.Reset()
	}
	return out
}
