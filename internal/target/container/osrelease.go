package container

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// maxOSRelease bounds how much of os-release is read: the file is a few
// hundred bytes, and the tree is not to be trusted with our memory.
const maxOSRelease = 64 << 10

// readOSRelease reads the tree's os-release as systemd does: /etc first,
// then /usr/lib. In Debian /etc/os-release is a symlink to
// ../usr/lib/os-release; it is not followed, because a symlink in the tree
// resolves on the host, so a link sends us to /usr/lib/os-release instead.
// A tree with neither file gives an empty map.
func readOSRelease(root string) (map[string]string, error) {
	for _, rel := range []string{"etc/os-release", "usr/lib/os-release"} {
		path := filepath.Join(root, rel)
		info, err := os.Lstat(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		if !info.Mode().IsRegular() {
			continue
		}
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		defer f.Close()
		vals, err := parseOSRelease(io.LimitReader(f, maxOSRelease))
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", path, err)
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
