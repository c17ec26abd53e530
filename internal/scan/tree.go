package scan

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
)

// maxSymlinkHops bounds symlink resolution, like the kernel's ELOOP limit.
const maxSymlinkHops = 40

// maxConfigSize bounds the configuration files read whole (passwd, fstab, …): a
// scanned machine may hold anything at those paths, and the agent's memory must
// stay small.
const maxConfigSize = 16 << 20

var errTooManyLinks = errors.New("too many levels of symbolic links")

// tree is the scanned system: a host directory that the scanned system sees as "/".
// Paths given to its methods are absolute paths inside the scanned system.
//
// os.Root is not used: it rejects absolute symlinks as escapes, while inside a
// mounted image "/etc/localtime -> /usr/share/zoneinfo/UTC" is an ordinary link
// that must resolve against the image, not refuse to resolve.
type tree struct {
	root string // host path of the scanned root, absolute and clean
	live bool   // root is "/": the running system (/proc, mounts, statfs apply)
}

func newTree(root string) (*tree, error) {
	if root == "" {
		root = "/"
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("scan root %q: %w", root, err)
	}
	// The root itself may be reached through a link (--root /mnt/current); what
	// is below it is then opened without following links.
	if abs, err = filepath.EvalSymlinks(abs); err != nil {
		return nil, fmt.Errorf("scan root: %w", err)
	}
	info, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("scan root: %w", err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("scan root %s: not a directory", abs)
	}
	return &tree{root: abs, live: abs == "/"}, nil
}

// host returns the host path of p without resolving anything.
func (t *tree) host(p string) string {
	return filepath.Join(t.root, filepath.FromSlash(p))
}

// resolve returns the physical path of p inside the tree: every symlink on the way
// is resolved as the scanned system would resolve it (absolute targets start again
// at the tree's root, ".." stops at it). With followLast false the last component
// is kept even when it is a symlink. Missing components are not an error here: the
// caller's open or lstat reports them.
func (t *tree) resolve(p string, followLast bool) (string, error) {
	todo := splitPath(p)
	cur := "/"
	hops := 0
	for len(todo) > 0 {
		comp := todo[0]
		todo = todo[1:]
		switch comp {
		case "", ".":
			continue
		case "..":
			cur = path.Dir(cur)
			continue
		}
		next := path.Join(cur, comp)
		if len(todo) == 0 && !followLast {
			return next, nil
		}
		info, err := os.Lstat(t.host(next))
		if err != nil || info.Mode()&fs.ModeSymlink == 0 {
			cur = next
			continue
		}
		hops++
		if hops > maxSymlinkHops {
			return "", fmt.Errorf("resolve %s: %w", p, errTooManyLinks)
		}
		target, err := os.Readlink(t.host(next))
		if err != nil {
			return "", fmt.Errorf("resolve %s: %w", p, err)
		}
		if strings.HasPrefix(target, "/") {
			cur = "/"
		}
		todo = append(splitPath(target), todo...)
	}
	return cur, nil
}

func splitPath(p string) []string {
	return strings.Split(strings.Trim(p, "/"), "/")
}

// open opens the regular file at p (symlinks resolved inside the tree). It never
// blocks on a FIFO and refuses anything that is not a regular file.
func (t *tree) open(p string) (*os.File, error) {
	phys, err := t.resolve(p, true)
	if err != nil {
		return nil, err
	}
	return openRegular(t.host(phys))
}

// openRegular opens a host path that must be a regular file. O_NOFOLLOW refuses a
// symlink swapped in since the path was resolved, O_NONBLOCK keeps a FIFO from
// blocking the scan; the fstat after open decides.
func openRegular(hostPath string) (*os.File, error) {
	f, err := os.OpenFile(hostPath, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !info.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("open %s: not a regular file (%s)", hostPath, info.Mode().Type())
	}
	return f, nil
}

// readFile reads a whole (small) regular file at p.
func (t *tree) readFile(p string) ([]byte, error) {
	f, err := t.open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxConfigSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	if len(data) > maxConfigSize {
		return nil, fmt.Errorf("read %s: larger than %d bytes", p, maxConfigSize)
	}
	return data, nil
}

// readlink returns the target of the symlink at p (its directories resolved).
func (t *tree) readlink(p string) (string, error) {
	phys, err := t.resolve(p, false)
	if err != nil {
		return "", err
	}
	return os.Readlink(t.host(phys))
}

// lstat stats p without following its last component.
func (t *tree) lstat(p string) (fs.FileInfo, error) {
	phys, err := t.resolve(p, false)
	if err != nil {
		return nil, err
	}
	return os.Lstat(t.host(phys))
}

// readDirNames lists the directory at p, sorted bytewise.
func (t *tree) readDirNames(p string) ([]string, error) {
	phys, err := t.resolve(p, true)
	if err != nil {
		return nil, err
	}
	return readDirNames(t.host(phys))
}

func readDirNames(hostDir string) ([]string, error) {
	f, err := os.OpenFile(hostDir, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_DIRECTORY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// Names only: a directory of a million entries costs its names, not a
	// FileInfo each.
	names, err := f.Readdirnames(-1)
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	return names, nil
}

// exists reports whether p exists (symlinks followed inside the tree).
func (t *tree) exists(p string) bool {
	phys, err := t.resolve(p, true)
	if err != nil {
		return false
	}
	_, err = os.Lstat(t.host(phys))
	return err == nil
}

// isRegular reports whether p is a regular file, symlinks followed inside the tree.
func (t *tree) isRegular(p string) bool {
	phys, err := t.resolve(p, true)
	if err != nil {
		return false
	}
	info, err := os.Lstat(t.host(phys))
	return err == nil && info.Mode().IsRegular()
}
