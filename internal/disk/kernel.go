package disk

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Kernel is the kernel and initrd found in a root tree (paths relative to the tree).
type Kernel struct {
	Version string // e.g. 6.1.0-18-amd64
	Image   string // /boot/vmlinuz-VERSION
	Initrd  string // /boot/initrd.img-VERSION, or "" when absent
}

// FindKernel returns the newest /boot/vmlinuz-* of rootDir and its initrd.
func FindKernel(rootDir string) (Kernel, error) {
	matches, err := filepath.Glob(filepath.Join(rootDir, "boot", "vmlinuz-*"))
	if err != nil {
		return Kernel{}, fmt.Errorf("find kernel: %w", err)
	}
	var best string
	for _, m := range matches {
		v := strings.TrimPrefix(filepath.Base(m), "vmlinuz-")
		if st, err := os.Stat(m); err != nil || !st.Mode().IsRegular() {
			continue
		}
		if best == "" || versionLess(best, v) {
			best = v
		}
	}
	if best == "" {
		return Kernel{}, fmt.Errorf("find kernel: no /boot/vmlinuz-* in %s (is a linux-image package installed?)", rootDir)
	}
	k := Kernel{Version: best, Image: "/boot/vmlinuz-" + best}
	if _, err := os.Stat(filepath.Join(rootDir, "boot", "initrd.img-"+best)); err == nil {
		k.Initrd = "/boot/initrd.img-" + best
	} else if !errors.Is(err, os.ErrNotExist) {
		return Kernel{}, fmt.Errorf("find initrd: %w", err)
	}
	return k, nil
}

// versionLess compares kernel versions naturally: runs of digits as numbers,
// so 6.1.0-18 is newer than 6.1.0-9.
func versionLess(a, b string) bool {
	for a != "" && b != "" {
		ra, rb := leadingRun(a), leadingRun(b)
		if isDigit(ra[0]) && isDigit(rb[0]) {
			na, nb := strings.TrimLeft(ra, "0"), strings.TrimLeft(rb, "0")
			if len(na) != len(nb) {
				return len(na) < len(nb)
			}
			if na != nb {
				return na < nb
			}
		} else if ra != rb {
			return ra < rb
		}
		a, b = a[len(ra):], b[len(rb):]
	}
	return len(a) < len(b)
}

func leadingRun(s string) string {
	d := isDigit(s[0])
	i := 1
	for i < len(s) && isDigit(s[i]) == d {
		i++
	}
	return s[:i]
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// osTitle returns PRETTY_NAME from the tree's os-release, for the menu entry.
func osTitle(rootDir string) string {
	for _, p := range []string{"etc/os-release", "usr/lib/os-release"} {
		f, err := os.Open(filepath.Join(rootDir, p))
		if err != nil {
			continue
		}
		defer f.Close()
		s := bufio.NewScanner(f)
		for s.Scan() {
			if v, ok := strings.CutPrefix(s.Text(), "PRETTY_NAME="); ok {
				return strings.Trim(v, `"'`)
			}
		}
	}
	return "Linux"
}
