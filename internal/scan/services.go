package scan

import (
	"path"
	"slices"
	"strings"
)

// readServices lists the units enabled through /etc/systemd/system/*.wants:
// `systemctl enable` records an enablement as a symlink there. The link's name is
// the unit (an alias may differ from the file it points to; the name is what
// systemctl takes).
func readServices(t *tree, n *notes) []string {
	const dir = "/etc/systemd/system"
	names, err := t.readDirNames(dir)
	if err != nil {
		n.add("services: %s unreadable: %v", dir, err)
		return nil
	}
	var units []string
	for _, wants := range names {
		if !strings.HasSuffix(wants, ".wants") {
			continue
		}
		links, err := t.readDirNames(path.Join(dir, wants))
		if err != nil {
			continue // a file named *.wants, or unreadable: nothing enabled there
		}
		for _, l := range links {
			if info, err := t.lstat(path.Join(dir, wants, l)); err == nil && !info.IsDir() {
				units = append(units, l)
			}
		}
	}
	slices.Sort(units)
	return slices.Compact(units)
}
