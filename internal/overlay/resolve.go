package overlay

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

const (
	// maxLinks is Linux's MAXSYMLINKS: symlinks followed for one component.
	maxLinks = 40
	// maxCached bounds the directory descriptors kept open between members.
	maxCached = 64
)

// resolver resolves paths inside a root directory the way the kernel does
// inside a chroot of it: symlinks already in the tree (merged /usr's
// bin -> usr/bin, an absolute /etc/alternatives link) are followed, but an
// absolute target starts again from the root and ".." stops at it. Each
// component is looked at with lstat and opened with O_NOFOLLOW relative to
// its parent's descriptor, so no path string ever reaches the kernel with a
// chance to leave the tree. Directories on another filesystem (a /proc a
// chroot step left mounted, a bind mount) are refused rather than entered.
type resolver struct {
	fd     int // O_PATH descriptor of the root
	dev    uint64
	asRoot bool // created parents get root:root, as they would from dpkg
	// chain caches the descriptors of the last directory resolved by dir,
	// one per component: members come in tree order, so the next member's
	// parent shares most of them.
	chain []level
	tail  int // descriptor of a directory deeper than chain keeps, or -1
}

type level struct {
	name string // the component asked for
	fd   int
	rel  string // where it resolved, relative to the root ("" is the root)
}

func openResolver(root string) (*resolver, error) {
	fd, err := unix.Open(root, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open root %s: %w", root, err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("stat root %s: %w", root, err)
	}
	return &resolver{fd: fd, dev: st.Dev, asRoot: os.Geteuid() == 0, tail: -1}, nil
}

func (r *resolver) close() {
	r.invalidate()
	unix.Close(r.fd)
}

// invalidate forgets the cached directories. Apply calls it whenever it
// replaces a symlink or a directory, the only changes that can make a path
// resolve elsewhere.
func (r *resolver) invalidate() { r.truncate(0) }

func (r *resolver) truncate(k int) {
	for _, l := range r.chain[k:] {
		unix.Close(l.fd)
	}
	r.chain = r.chain[:k]
	if r.tail >= 0 {
		unix.Close(r.tail)
		r.tail = -1
	}
}

// dir resolves the clean absolute directory path p, creating what is
// missing, and returns a descriptor that stays valid until the next call.
func (r *resolver) dir(p string) (int, string, error) {
	if p == "/" {
		return r.fd, "", nil
	}
	comps := strings.Split(p[1:], "/")
	k := 0
	for k < len(r.chain) && k < len(comps) && r.chain[k].name == comps[k] {
		k++
	}
	r.truncate(k)
	cur, rel := r.fd, ""
	if k > 0 {
		cur, rel = r.chain[k-1].fd, r.chain[k-1].rel
	}
	for i := k; i < len(comps); i++ {
		fd, nrel, err := r.step(cur, rel, comps[i], true)
		if err != nil {
			return -1, "", err
		}
		if i < maxCached {
			r.chain = append(r.chain, level{name: comps[i], fd: fd, rel: nrel})
		} else {
			if r.tail >= 0 {
				unix.Close(r.tail) // cur, no longer needed
			}
			r.tail = fd
		}
		cur, rel = fd, nrel
	}
	return cur, rel, nil
}

// open resolves the clean absolute directory path p without the cache and
// returns a descriptor the caller closes.
func (r *resolver) open(p string, create bool) (int, string, error) {
	cur, rel := r.fd, ""
	if p != "/" {
		for c := range strings.SplitSeq(p[1:], "/") {
			fd, nrel, err := r.step(cur, rel, c, create)
			if cur != r.fd {
				unix.Close(cur)
			}
			if err != nil {
				return -1, "", err
			}
			cur, rel = fd, nrel
		}
	}
	if cur == r.fd {
		fd, err := unix.FcntlInt(uintptr(r.fd), unix.F_DUPFD_CLOEXEC, 0)
		if err != nil {
			return -1, "", fmt.Errorf("duplicate root descriptor: %w", err)
		}
		return fd, "", nil
	}
	return cur, rel, nil
}

// step resolves the single component name of the directory dirfd (at rel)
// to a directory, following symlinks inside the root, and returns a new
// descriptor. Only name itself is created when missing (and create is set):
// a symlink that leads to nothing is an error, as for mkdir -p.
func (r *resolver) step(dirfd int, rel, name string, create bool) (int, string, error) {
	fd, owned := dirfd, false
	move := func(nfd int, nrel string) {
		if owned {
			unix.Close(fd)
		}
		fd, owned, rel = nfd, nfd != r.fd, nrel
	}
	fail := func(err error) (int, string, error) {
		if owned {
			unix.Close(fd)
		}
		return -1, "", err
	}
	pending := []string{name}
	links := 0
	for len(pending) > 0 {
		c := pending[0]
		pending = pending[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if rel == "" {
				continue // the root's parent is the root, as in a chroot
			}
			nfd, err := unix.Openat(fd, "..", unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
			if err != nil {
				return fail(fmt.Errorf("open the parent of /%s: %w", rel, err))
			}
			move(nfd, path.Dir("/" + rel)[1:])
			continue
		}
		where := "/" + path.Join(rel, c)
		var st unix.Stat_t
		err := unix.Fstatat(fd, c, &st, unix.AT_SYMLINK_NOFOLLOW)
		if errors.Is(err, unix.ENOENT) && create && links == 0 {
			if err := r.mkdir(fd, c); err != nil {
				return fail(fmt.Errorf("create directory %s: %w", where, err))
			}
			err = unix.Fstatat(fd, c, &st, unix.AT_SYMLINK_NOFOLLOW)
		}
		if errors.Is(err, unix.ENOENT) && links > 0 {
			return fail(fmt.Errorf("%s, reached through a symlink, does not exist: %w: %w", where, ErrConflict, err))
		}
		if err != nil {
			return fail(fmt.Errorf("stat %s: %w", where, err))
		}
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFDIR:
			if st.Dev != r.dev {
				return fail(fmt.Errorf("%s is a mount point, not written through: %w", where, ErrConflict))
			}
			nfd, err := unix.Openat(fd, c, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
			if err != nil {
				return fail(fmt.Errorf("open %s: %w", where, err))
			}
			move(nfd, where[1:])
		case unix.S_IFLNK:
			if links++; links > maxLinks {
				return fail(fmt.Errorf("%s: too many levels of symlinks: %w", where, unix.ELOOP))
			}
			target, err := readlinkat(fd, c)
			if err != nil {
				return fail(fmt.Errorf("read symlink %s: %w", where, err))
			}
			if strings.HasPrefix(target, "/") {
				move(r.fd, "") // absolute targets start again from the root
			}
			pending = append(strings.Split(target, "/"), pending...)
		default:
			return fail(fmt.Errorf("%s is not a directory: %w", where, ErrConflict))
		}
	}
	if !owned {
		nfd, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
		if err != nil {
			return -1, "", fmt.Errorf("duplicate descriptor of /%s: %w", rel, err)
		}
		return nfd, rel, nil
	}
	return fd, rel, nil
}

// mkdir creates a missing parent as 0755, owned by root when running as
// root: what the directory would be had a package created it.
func (r *resolver) mkdir(dirfd int, name string) error {
	if err := unix.Mkdirat(dirfd, name, 0o700); err != nil && !errors.Is(err, unix.EEXIST) {
		return err
	}
	fd, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if r.asRoot {
		if err := unix.Fchown(fd, 0, 0); err != nil {
			return err
		}
	}
	return unix.Fchmod(fd, 0o755) // not through umask
}

func readlinkat(dirfd int, name string) (string, error) {
	buf := make([]byte, maxName)
	n, err := unix.Readlinkat(dirfd, name, buf)
	if err != nil {
		return "", err
	}
	if n >= len(buf) {
		return "", errors.New("target longer than 4095 bytes")
	}
	if n == 0 {
		return "", errors.New("empty target")
	}
	return string(buf[:n]), nil
}

// ResolveInRoot returns the host path of p (absolute inside the tree at
// root) with its parent directories resolved inside root as a chroot would:
// a symlink among them is followed, an absolute target from root, ".."
// never above root. The last component is not followed, so a symlink at p
// is returned as itself (for Lstat). An error says a parent is missing, is
// not a directory, or is on another filesystem.
func ResolveInRoot(root, p string) (string, error) {
	p = path.Clean("/" + p)
	if p == "/" {
		return filepath.Clean(root), nil
	}
	r, err := openResolver(root)
	if err != nil {
		return "", err
	}
	defer r.close()
	dir, base := splitPath(p)
	fd, rel, err := r.open(dir, false)
	if err != nil {
		return "", fmt.Errorf("resolve %s in %s: %w", p, root, err)
	}
	unix.Close(fd)
	return filepath.Join(root, rel, base), nil
}
