package distro

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/kilnhq/kiln/internal/debian"
)

// DefaultMirror is used when apt on this machine names no Debian mirror.
const DefaultMirror = "http://deb.debian.org/debian"

// ErrNoAptMirror means no apt source file under the root names a Debian mirror.
var ErrNoAptMirror = errors.New("no Debian mirror in the apt sources")

// aptSource is one "deb" entry of an apt configuration.
type aptSource struct {
	uri    string
	suites []string
}

// AptMirror returns the Debian mirror apt is configured with on the system
// rooted at root ("/" in production, a fixture directory in tests): the first
// "deb" source of /etc/apt/sources.list, then of /etc/apt/sources.list.d/*.list
// and *.sources in name order (apt's order), whose suite is a Debian release and
// not the security archive. The URI is returned without a trailing slash.
func AptMirror(root string) (string, error) {
	files, err := aptFiles(root)
	if err != nil {
		return "", err
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return "", fmt.Errorf("read apt sources %s: %w", f, err)
		}
		var sources []aptSource
		if strings.HasSuffix(f, ".sources") {
			sources = parseDeb822(data)
		} else {
			sources = parseOneLine(string(data))
		}
		for _, s := range sources {
			if isDebianMirror(s) {
				return strings.TrimRight(s.uri, "/"), nil
			}
		}
	}
	return "", ErrNoAptMirror
}

func aptFiles(root string) ([]string, error) {
	var files []string
	list := filepath.Join(root, "etc/apt/sources.list")
	if _, err := os.Stat(list); err == nil {
		files = append(files, list)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read apt sources: %w", err)
	}
	dir := filepath.Join(root, "etc/apt/sources.list.d")
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read apt sources directory: %w", err)
	}
	var names []string
	for _, e := range entries {
		n := e.Name()
		if !e.IsDir() && (strings.HasSuffix(n, ".list") || strings.HasSuffix(n, ".sources")) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		files = append(files, filepath.Join(dir, n))
	}
	return files, nil
}

func isDebianMirror(s aptSource) bool {
	if !strings.HasPrefix(s.uri, "http://") && !strings.HasPrefix(s.uri, "https://") {
		return false // cdrom:, file:, mirror+…: nothing the indexer can fetch
	}
	if strings.Contains(s.uri, "debian-security") {
		return false
	}
	for _, suite := range s.suites {
		base, rest, _ := strings.Cut(suite, "-")
		if rest == "security" || strings.HasSuffix(suite, "/updates") {
			return false
		}
		if debian.IsArchiveSuite(base) {
			return true
		}
	}
	return false
}

// parseOneLine reads the classic format: "deb [options] uri suite [component…]".
func parseOneLine(data string) []aptSource {
	var out []aptSource
	sc := bufio.NewScanner(strings.NewReader(data))
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		line = strings.TrimSpace(line)
		typ, rest, ok := strings.Cut(line, " ")
		if !ok || typ != "deb" {
			continue // deb-src, blank lines, garbage
		}
		rest = strings.TrimSpace(rest)
		if strings.HasPrefix(rest, "[") {
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				continue
			}
			rest = rest[end+1:]
		}
		f := strings.Fields(rest)
		if len(f) < 2 {
			continue
		}
		out = append(out, aptSource{uri: f[0], suites: []string{f[1]}})
	}
	return out
}

// parseDeb822 reads the deb822 format of *.sources files (sources.list(5)):
// one paragraph per source, field names in any case. Malformed lines are
// skipped, as the rest of the file still names sources.
func parseDeb822(data []byte) []aptSource {
	var out []aptSource
	rd := debian.NewReader(bytes.NewReader(data), "Types", "URIs", "Suites", "Enabled")
	for {
		p, err := rd.Next()
		if _, bad := errors.AsType[*debian.SyntaxError](err); bad {
			continue
		}
		if err != nil { // io.EOF: the data is in memory
			return out
		}
		if strings.EqualFold(p.Get("Enabled"), "no") || !slices.Contains(strings.Fields(p.Get("Types")), "deb") {
			continue
		}
		suites := strings.Fields(p.Get("Suites"))
		for _, u := range strings.Fields(p.Get("URIs")) {
			out = append(out, aptSource{uri: u, suites: suites})
		}
	}
}
