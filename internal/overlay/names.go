package overlay

import (
	"errors"
	"strings"
)

const (
	// maxName is Linux's PATH_MAX. Longer names exist only when made with
	// *at calls; refusing them also bounds the per-member work on parents.
	maxName = 4096
	// maxComponent is Linux's NAME_MAX.
	maxComponent = 255
)

// cleanName turns a member name into an absolute clean path ("etc/hosts",
// "./etc/hosts" → "/etc/hosts"). dir says whether the member is a directory,
// the only kind that may carry a trailing slash or name the root ("./").
// The error says why the name is refused, without the name.
func cleanName(name string, dir bool) (string, error) {
	switch {
	case name == "":
		return "", errors.New("empty name")
	case strings.IndexByte(name, 0) >= 0:
		return "", errors.New("NUL byte in name")
	case len(name) > maxName:
		return "", errors.New("name longer than 4096 bytes")
	case name[0] == '/':
		return "", errors.New("absolute name")
	}
	trimmed := strings.TrimRight(name, "/")
	if len(trimmed) < len(name) && !dir {
		return "", errors.New("trailing slash on a member that is not a directory")
	}
	var b strings.Builder
	b.Grow(len(trimmed) + 1)
	for c := range strings.SplitSeq(trimmed, "/") {
		switch {
		case c == "" || c == ".":
			continue // "a//b", "a/./b" and the leading "./" of "./etc"
		case c == "..":
			return "", errors.New("\"..\" component")
		case len(c) > maxComponent:
			return "", errors.New("component longer than 255 bytes")
		}
		b.WriteByte('/')
		b.WriteString(c)
	}
	if b.Len() == 0 {
		// What GNU tar writes for the directory it was given ("tar -C / .").
		if dir && (name == "." || name == "./") {
			return "/", nil
		}
		return "", errors.New("name is the root itself")
	}
	return b.String(), nil
}

// parents calls fn with each proper ancestor of the clean absolute path p,
// shallowest first, root excluded: "/a/b/c" gives "/a", "/a/b".
func parents(p string, fn func(string) bool) bool {
	for i := 1; i < len(p); i++ {
		if p[i] == '/' && !fn(p[:i]) {
			return false
		}
	}
	return true
}

// splitPath splits a clean absolute path into its parent and last
// component: "/a/b" gives "/a", "b"; "/a" gives "/", "a".
func splitPath(p string) (dir, base string) {
	i := strings.LastIndexByte(p, '/')
	if i <= 0 {
		return "/", p[i+1:]
	}
	return p[:i], p[i+1:]
}
