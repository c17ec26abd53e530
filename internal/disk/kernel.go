package disk

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/kilnhq/kiln/internal/treefs"
)

// Kernel is the kernel and initrd found in a root tree (paths relative to the tree).
type Kernel struct {
	Version string // e.g. 6.1.0-18-amd64
	Image   string // /boot/vmlinuz-VERSION
	Initrd  string // /boot/initrd.img-VERSION, or "" when absent
}

// FindKernel returns the newest /boot/vmlinuz-* of rootDir and its initrd.
func FindKernel(rootDir string) (Kernel, error) {
	tree, err := treefs.Open(rootDir)
	if err != nil {
		return Kernel{}, fmt.Errorf("find kernel: %w", err)
	}
	defer tree.Close()
	return findKernel(tree)
}

// findKernel looks in the tree's /boot, resolved inside the tree: a /boot
// that is a symlink must not hand the host's kernel to the image.
func findKernel(tree *treefs.Root) (Kernel, error) {
	ents, err := tree.ReadDir("/boot")
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return Kernel{}, fmt.Errorf("find kernel: %w", err)
	}
	var best string
	for _, e := range ents {
		v, ok := strings.CutPrefix(e.Name(), "vmlinuz-")
		if !ok {
			continue
		}
		if st, err := tree.Stat("/boot/" + e.Name()); err != nil || !st.Mode().IsRegular() {
			continue
		}
		if best == "" || versionLess(best, v) {
			best = v
		}
	}
	if best == "" {
		return Kernel{}, fmt.Errorf("find kernel: no /boot/vmlinuz-* in %s (is a linux-image package installed?)", tree.Dir())
	}
	k := Kernel{Version: best, Image: "/boot/vmlinuz-" + best}
	if _, err := tree.Stat("/boot/initrd.img-" + best); err == nil {
		k.Initrd = "/boot/initrd.img-" + best
	} else if !errors.Is(err, fs.ErrNotExist) {
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
func osTitle(tree *treefs.Root) string {
	for _, p := range []string{"/etc/os-release", "/usr/lib/os-release"} {
		data, err := tree.ReadFile(p)
		if err != nil {
			continue
		}
		for l := range strings.Lines(string(data)) {
			if v, ok := strings.CutPrefix(strings.TrimRight(l, "\n"), "PRETTY_NAME="); ok {
				return strings.Trim(v, `"'`)
			}
		}
	}
	return "Linux"
}
