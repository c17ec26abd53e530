package scan

import (
	"strings"
)

// iniEntry is one "key=value" of an INI-style file, with its section. Keys repeat
// in systemd units (several Address=), so a file is a list, not a map.
type iniEntry struct {
	Section, Key, Value string
}

// parseINI reads the INI dialect shared by systemd units and NetworkManager
// keyfiles: [Section] headers, key=value lines, '#' and ';' comments.
func parseINI(data []byte) []iniEntry {
	var out []iniEntry
	section := ""
	for _, line := range joinContinuations(string(data)) {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if line[0] == '[' && strings.HasSuffix(line, "]") {
			section = strings.TrimSpace(line[1 : len(line)-1])
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		out = append(out, iniEntry{Section: section, Key: strings.TrimSpace(k), Value: strings.TrimSpace(v)})
	}
	return out
}
