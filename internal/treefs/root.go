// Package treefs is a build tree opened as a root: every path given to it is
// resolved inside the tree, as the kernel resolves it for a process chrooted
// there. A symlink is followed, but an absolute target starts again from the
// tree's root and ".." stops at it, so Debian's var/run -> /run leads to the
// tree's /run, never to the host's.
//
// Every write into a build tree (configure, disk, overlay and whatever comes
// next) goes through a Root: a path string naming something in the tree never
// reaches the kernel relative to the host's root. Paths are absolute inside the
// tree ("/etc/hostname"); a relative one is taken from the tree's root.
//
// Resolution is openat2(2) with RESOLVE_IN_ROOT where the kernel has it, and
// otherwise a walk of one component at a time by descriptor (lstat, then
// open with O_NOFOLLOW relative to the parent), which gives the same answers:
// kernels before 5.6 and sandboxes whose seccomp filter refuses openat2 get
// the walk. Either way, a directory on another filesystem (a /proc left
// mounted, a bind mount) is refused rather than entered.
//
// Resolving inside the tree confines a write, but it does not say the write
// lands where its author meant: a home of /var/run/lock/kiln would land in the
// tree's /run/lock/kiln. Callers that take paths from tenants refuse those
// with [Root.CheckNoLinks].
package treefs

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// ErrConflict says a path cannot be used as asked: a parent is not a
// directory, a symlink among its parents leads to nothing, or it crosses
// into another filesystem.
var ErrConflict = errors.New("conflicts with the tree")

// resolveFlags confine openat2 to the tree: RESOLVE_IN_ROOT for the symlinks
// and "..", no /proc magic links (they jump anywhere), no mount crossings.
const resolveFlags = unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS | unix.RESOLVE_NO_XDEV

// Root is an open build tree. Its methods may be called from several
// goroutines; a Walker may not.
type Root struct {
	dir     string // host path, for messages and for tools given the tree
	fd      int    // O_PATH descriptor of dir
	dev     uint64 // the tree's filesystem
	asRoot  bool   // directories the walk creates get root:root, as from dpkg
	openat2 bool   // the kernel answers openat2
}

// Open opens the directory dir as a tree.
func Open(dir string) (*Root, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("open tree %s: %w", dir, err)
	}
	fd, err := unix.Open(abs, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open tree %s: %w", abs, err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("stat tree %s: %w", abs, err)
	}
	r := &Root{dir: abs, fd: fd, dev: st.Dev, asRoot: os.Geteuid() == 0}
	probe, err := unix.Openat2(fd, ".", &unix.OpenHow{Flags: unix.O_PATH | unix.O_DIRECTORY | unix.O_CLOEXEC, Resolve: resolveFlags})
	switch {
	case err == nil:
		unix.Close(probe)
		r.openat2 = true
	case errors.Is(err, unix.ENOSYS), errors.Is(err, unix.EPERM):
		// Before Linux 5.6, or a seccomp filter that does not know it
		// (EPERM is what Docker's default profile answered): the walk.
	default:
		unix.Close(fd)
		return nil, fmt.Errorf("open tree %s: %w", abs, err)
	}
	return r, nil
}

// Close releases the tree's descriptor.
func (r *Root) Close() error {
	if r.fd < 0 {
		return nil
	}
	err := unix.Close(r.fd)
	r.fd = -1
	return err
}

// Dir is the tree's host path: for tools that are given the tree as a whole
// (chroot, mkfs -d), never to be joined with a path inside it.
func (r *Root) Dir() string { return r.dir }

// Dev is the device number of the tree's filesystem.
func (r *Root) Dev() uint64 { return r.dev }

// clean makes p an absolute clean path inside the tree.
func clean(p string) string { return path.Clean("/" + p) }

// split splits a clean absolute path into its parent and last component:
// "/a/b" gives "/a", "b"; "/a" gives "/", "a"; "/" gives "/", "".
func split(p string) (dir, base string) {
	i := strings.LastIndexByte(p, '/')
	if i <= 0 {
		return "/", p[i+1:]
	}
	return p[:i], p[i+1:]
}

// open opens the clean path p with flags, resolving it inside the tree. The
// last component is followed too (inside the tree) unless flags hold
// O_NOFOLLOW or O_EXCL, as for open(2).
func (r *Root) open(p string, flags int, mode uint32) (int, error) {
	flags |= unix.O_CLOEXEC
	if r.openat2 {
		rel := "."
		if p != "/" {
			rel = p[1:]
		}
		how := &unix.OpenHow{Flags: uint64(flags), Mode: uint64(mode), Resolve: resolveFlags}
		fd, err := unix.Openat2(r.fd, rel, how)
		for try := 0; try < 8 && (errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINTR)); try++ {
			fd, err = unix.Openat2(r.fd, rel, how) // a concurrent rename made the kernel unsure: ask again
		}
		if err != nil {
			return -1, fmt.Errorf("open %s: %w", p, err)
		}
		return fd, nil
	}
	follow := flags&(unix.O_NOFOLLOW|unix.O_EXCL) == 0
	dirfd, name, err := r.last(p, follow)
	if err != nil {
		return -1, err
	}
	defer unix.Close(dirfd)
	fd, err := unix.Openat(dirfd, name, flags|unix.O_NOFOLLOW, mode)
	if err != nil {
		return -1, fmt.Errorf("open %s: %w", p, err)
	}
	return fd, nil
}

// parent opens the directory that holds p's last component, resolved inside
// the tree, and returns it with that component. p must not be the root.
func (r *Root) parent(p string) (int, string, error) {
	dir, name := split(p)
	if name == "" {
		return -1, "", fmt.Errorf("%s: the root of the tree itself: %w", p, unix.EINVAL)
	}
	fd, err := r.openDir(dir)
	return fd, name, err
}

// openDir opens the directory p (O_PATH), resolved inside the tree.
func (r *Root) openDir(p string) (int, error) {
	if r.openat2 {
		return r.open(p, unix.O_PATH|unix.O_DIRECTORY, 0)
	}
	fd, _, err := r.walk(p, false)
	return fd, err
}

// last is the walk's answer for p's last component: the directory holding it
// and its name. With follow, a symlink there is followed inside the tree until
// it names something else (or nothing). The root itself is (root, ".").
func (r *Root) last(p string, follow bool) (int, string, error) {
	for links := 0; ; links++ {
		dir, name := split(p)
		fd, at, err := r.walk(dir, false)
		if err != nil {
			return -1, "", err
		}
		if name == "" {
			return fd, ".", nil
		}
		var st unix.Stat_t
		if !follow || unix.Fstatat(fd, name, &st, unix.AT_SYMLINK_NOFOLLOW) != nil || st.Mode&unix.S_IFMT != unix.S_IFLNK {
			return fd, name, nil
		}
		target, err := readlinkat(fd, name)
		unix.Close(fd)
		if err != nil {
			return -1, "", fmt.Errorf("read symlink %s: %w", p, err)
		}
		if links == maxLinks {
			return -1, "", fmt.Errorf("%s: too many levels of symlinks: %w", p, unix.ELOOP)
		}
		if strings.HasPrefix(target, "/") {
			p = path.Clean(target)
		} else {
			p = path.Join("/"+at, target) // at has no symlink: ".." is lexical there
		}
	}
}
