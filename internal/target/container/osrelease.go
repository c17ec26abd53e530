package container

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"syscall"

	"github.com/kilnhq/kiln/internal/treefs"
)

// maxOSRelease bounds how much of os-release is read: the file is a few
// hundred bytes, and the tree is not to be trusted with our memory.
const maxOSRelease = 64 << 10

// readOSRelease reads the tree's os-release as systemd does: /etc first,
// then /usr/lib. Paths are resolved inside the tree (internal/treefs), so
// Debian's /etc/os-release -> ../usr/lib/os-release is followed there and a
// link never reads a file of the host into the image's metadata. Anything
// but a regular file is skipped. A tree with neither file gives an empty map.
func readOSRelease(root string) (map[string]string, error) {
	tree, err := treefs.Open(root)
	if err != nil {
		return nil, fmt.Errorf("read os-release: %w", err)
	}
	defer tree.Close()
	for _, p := range []string{"/etc/os-release", "/usr/lib/os-release"} {
		f, err := tree.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK, 0)
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ELOOP) || errors.Is(err, syscall.ENOTDIR) {
			continue // missing, or a link that leads nowhere in the tree
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", p, err)
		}
		defer f.Close()
		if info, err := f.Stat(); err != nil || !info.Mode().IsRegular() {
			continue
		}
		vals, err := parseOSRelease(io.LimitReader(f, maxOSRelease))
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", p, err)
		}
		return vals, nil
	}
	return map[string]string{}, nil
}

// parseOSRelease reads KEY=value lines; values may be quoted with " or '
// and use backslash escapes, as os-release(5) allows.
func parseOSRelease(r io.Reader) (map[string]string, error) {
	vals := make(map[string]string)
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, val, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		vals[strings.TrimSpace(key)] = unquote(strings.TrimSpace(val))
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return vals, nil
}

func unquote(v string) string {
	if len(v) < 2 || (v[0] != '"' && v[0] != '\'') || v[len(v)-1] != v[0] {
		return v
	}
	inner := v[1 : len(v)-1]
	if v[0] == '\'' {
		return inner
	}
	var b strings.Builder
	for i := 0; i < len(inner); i++ {
		if inner[i] == '\\' && i+1 < len(inner) {
			i++
		}
		b.WriteByte(inner[i])
	}
	return b.String()
}
