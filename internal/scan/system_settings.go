package scan

import (
	"errors"
	"io/fs"
	"os"
	"strings"
)

// readOptional reads a small configuration file; a missing one is normal (empty,
// no note), an unreadable one is noted.
func readOptional(t *tree, file string, n *notes) []byte {
	data, err := t.readFile(file)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			n.add("%s unreadable: %v", file, err)
		}
		return nil
	}
	return data
}

// readHostname reads /etc/hostname; a live system without one reports the
// kernel's hostname.
func readHostname(t *tree, n *notes) string {
	for _, line := range strings.Split(string(readOptional(t, "/etc/hostname", n)), "\n") {
		if line = strings.TrimSpace(line); line != "" && line[0] != '#' {
			return line
		}
	}
	if t.live {
		if h, err := os.Hostname(); err == nil {
			return h
		}
	}
	return ""
}

// readTimezone prefers the /etc/localtime link (what glibc reads) to
// /etc/timezone (Debian's copy, gone in trixie); a localtime that is a copy
// rather than a link names no zone.
func readTimezone(t *tree, n *notes) string {
	if target, err := t.readlink("/etc/localtime"); err == nil {
		if i := strings.Index(target, "zoneinfo/"); i >= 0 {
			zone := strings.TrimPrefix(target[i+len("zoneinfo/"):], "posix/")
			if zone != "" {
				return zone
			}
		}
	}
	return strings.TrimSpace(string(readOptional(t, "/etc/timezone", n)))
}

// readKeyboard is the XKB layout of /etc/default/keyboard ("fr", or "us,de").
func readKeyboard(t *tree, n *notes) string {
	return parseShellVars(readOptional(t, "/etc/default/keyboard", n), nil)["XKBLAYOUT"]
}

// readLocale is LANG from /etc/default/locale, else systemd's /etc/locale.conf.
func readLocale(t *tree, n *notes) string {
	for _, file := range []string{"/etc/default/locale", "/etc/locale.conf"} {
		if lang := parseShellVars(readOptional(t, file, n), nil)["LANG"]; lang != "" {
			return lang
		}
	}
	return ""
}
