package scan

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/kilnhq/kiln/internal/debian"
)

const (
	dpkgStatusPath     = "/var/lib/dpkg/status"
	dpkgInfoDir        = "/var/lib/dpkg/info"
	dpkgArchPath       = "/var/lib/dpkg/arch"
	dpkgDiversionsPath = "/var/lib/dpkg/diversions"
	aptExtendedStates  = "/var/lib/apt/extended_states"
)

// installedPackage is one stanza of the dpkg status file whose package is
// unpacked and configured on disk.
type installedPackage struct {
	Name          string
	Version       string
	Arch          string
	MultiArch     string
	InstalledSize int64 // KiB
	Conffiles     []conffile
}

// conffile is one line of a status stanza's Conffiles field.
type conffile struct {
	Path     string
	MD5      string // as recorded; "newconffile" or empty when dpkg has none
	Obsolete bool   // the installed version no longer ships it
}

var statusFields = []string{"Package", "Status", "Version", "Architecture", "Multi-Arch", "Installed-Size", "Conffiles"}

// readInstalled streams the installed packages of the dpkg status file to fn.
//
// "Installed" means the status word is "installed" with the "ok" flag, whatever the
// selection (install, hold, or even deinstall not yet acted on): those files are on
// disk, and a package held back is still part of the system. Half-installed,
// unpacked-only and config-files packages are not: a rebuild would not get them.
func readInstalled(ctx context.Context, t *tree, fn func(installedPackage) error) error {
	f, err := t.open(dpkgStatusPath)
	if err != nil {
		return fmt.Errorf("open dpkg status: %w", err)
	}
	defer f.Close()
	err = readParagraphs(ctx, f, statusFields, func(s debian.Paragraph) error {
		st := strings.Fields(s.Get("Status"))
		if s.Get("Package") == "" || len(st) != 3 || st[1] != "ok" || st[2] != "installed" {
			return nil
		}
		p := installedPackage{
			Name:      s.Get("Package"),
			Version:   s.Get("Version"),
			Arch:      s.Get("Architecture"),
			MultiArch: s.Get("Multi-Arch"),
		}
		if n, err := strconv.ParseInt(s.Get("Installed-Size"), 10, 64); err == nil && n >= 0 {
			p.InstalledSize = n
		}
		p.Conffiles = parseConffiles(s.Get("Conffiles"))
		return fn(p)
	})
	if err != nil {
		return fmt.Errorf("read dpkg status: %w", err)
	}
	return nil
}

// parseConffiles reads " /etc/foo 0123…ef [obsolete|remove-on-upgrade]…" lines.
// A path may contain spaces: the hash is the first field after the path that
// looks like one, so the path is what precedes it.
func parseConffiles(v string) []conffile {
	var out []conffile
	for _, line := range strings.Split(v, "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || !strings.HasPrefix(f[0], "/") {
			continue
		}
		// Find the hash from the right: flags come after it.
		h := len(f) - 1
		for h > 1 && (f[h] == "obsolete" || f[h] == "remove-on-upgrade") {
			h--
		}
		c := conffile{
			Path: strings.Join(f[:h], " "),
			MD5:  f[h],
		}
		for _, flag := range f[h+1:] {
			if flag == "obsolete" {
				c.Obsolete = true
			}
		}
		out = append(out, c)
	}
	return out
}
