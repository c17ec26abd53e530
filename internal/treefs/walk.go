package treefs

import (
	"errors"
	"fmt"
	"path"
	"strings"

	"golang.org/x/sys/unix"
)

const (
	// maxLinks is Linux's MAXSYMLINKS: symlinks followed for one component.
	maxLinks = 40
	// maxCached bounds the directory descriptors a Walker keeps open.
	maxCached = 64
	// maxPath is Linux's PATH_MAX, the longest symlink target.
	maxPath = 4096
)

// The walk resolves paths inside the tree the way the kernel does inside a
// chroot of it, one component at a time: each is looked at with lstat and
// opened with O_NOFOLLOW relative to its parent's descriptor, so no path
// string ever reaches the kernel with a chance to leave the tree. It is what
// Root uses without openat2, and what a Walker uses always (its cache needs
// the descriptor of every component).

// walk resolves the clean absolute directory path p, creating what is missing
// when create is set, and returns a descriptor the caller closes and where p
// resolved, relative to the root ("" is the root).
func (r *Root) walk(p string, create bool) (int, string, error) {
	cur, at := r.fd, ""
	if p != "/" {
		for c := range strings.SplitSeq(p[1:], "/") {
			fd, nat, err := r.step(cur, at, c, create)
			if cur != r.fd {
				unix.Close(cur)
			}
			if err != nil {
				return -1, "", err
			}
			cur, at = fd, nat
		}
	}
	if cur == r.fd {
		fd, err := unix.FcntlInt(uintptr(r.fd), unix.F_DUPFD_CLOEXEC, 0)
		if err != nil {
			return -1, "", fmt.Errorf("duplicate the tree's descriptor: %w", err)
		}
		return fd, "", nil
	}
	return cur, at, nil
}

// step resolves the single component name of the directory dirfd (at at) to
// a directory, following symlinks inside the root, and returns a new
// descriptor. Only name itself is created when missing (and create is set):
// a symlink that leads to nothing is an error, as for mkdir -p.
func (r *Root) step(dirfd int, at, name string, create bool) (int, string, error) {
	fd, owned := dirfd, false
	move := func(nfd int, nat string) {
		if owned {
			unix.Close(fd)
		}
		fd, owned, at = nfd, nfd != r.fd, nat
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
			if at == "" {
				continue // the root's parent is the root, as in a chroot
			}
			nfd, err := unix.Openat(fd, "..", unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
			if err != nil {
				return fail(fmt.Errorf("open the parent of /%s: %w", at, err))
			}
			move(nfd, path.Dir("/" + at)[1:])
			continue
		}
		where := "/" + path.Join(at, c)
		var st unix.Stat_t
		err := unix.Fstatat(fd, c, &st, unix.AT_SYMLINK_NOFOLLOW)
		if errors.Is(err, unix.ENOENT) && create && links == 0 {
			if err := r.mkdirRoot(fd, c); err != nil {
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
				return fail(fmt.Errorf("%s is a mount point, not entered: %w: %w", where, ErrConflict, unix.EXDEV))
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
			return fail(fmt.Errorf("%s is not a directory: %w: %w", where, ErrConflict, unix.ENOTDIR))
		}
	}
	if !owned {
		nfd, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
		if err != nil {
			return -1, "", fmt.Errorf("duplicate descriptor of /%s: %w", at, err)
		}
		return nfd, at, nil
	}
	return fd, at, nil
}

// mkdirRoot creates a missing parent as 0755, owned by root when running as
// root: what the directory would be had a package created it.
func (r *Root) mkdirRoot(dirfd int, name string) error {
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
	buf := make([]byte, maxPath)
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

// Walker resolves directories of one tree one after another, keeping the
// descriptors of the last one's components: a writer that goes through many
// paths in tree order (overlay.Apply) then pays nothing for the parents they
// share. It always walks (openat2 returns no descriptor per component).
type Walker struct {
	r     *Root
	chain []level
	tail  int // descriptor of a directory deeper than chain keeps, or -1
}

type level struct {
	name string // the component asked for
	fd   int
	at   string // where it resolved, relative to the root ("" is the root)
}

// Walker returns a new Walker of the tree. Close it before the Root.
func (r *Root) Walker() *Walker { return &Walker{r: r, tail: -1} }

// Close releases the cached descriptors.
func (w *Walker) Close() { w.truncate(0) }

// Forget drops the cached directories. A caller that replaces a symlink or a
// directory (the only changes that can make a path resolve elsewhere) calls
// it before resolving again.
func (w *Walker) Forget() { w.truncate(0) }

func (w *Walker) truncate(k int) {
	for _, l := range w.chain[k:] {
		unix.Close(l.fd)
	}
	w.chain = w.chain[:k]
	if w.tail >= 0 {
		unix.Close(w.tail)
		w.tail = -1
	}
}

// Dir resolves the directory p inside the tree, creating what is missing
// (0755, owned by root when running as root), and returns a descriptor that
// stays valid until the next call of Dir, Forget or Close, and where p
// resolved, relative to the root ("" is the root).
func (w *Walker) Dir(p string) (int, string, error) {
	p = clean(p)
	if p == "/" {
		return w.r.fd, "", nil
	}
	comps := strings.Split(p[1:], "/")
	k := 0
	for k < len(w.chain) && k < len(comps) && w.chain[k].name == comps[k] {
		k++
	}
	w.truncate(k)
	cur, at := w.r.fd, ""
	if k > 0 {
		cur, at = w.chain[k-1].fd, w.chain[k-1].at
	}
	for i := k; i < len(comps); i++ {
		fd, nat, err := w.r.step(cur, at, comps[i], true)
		if err != nil {
			return -1, "", err
		}
		if i < maxCached {
			w.chain = append(w.chain, level{name: comps[i], fd: fd, at: nat})
		} else {
			if w.tail >= 0 {
				unix.Close(w.tail) // cur, no longer needed
			}
			w.tail = fd
		}
		cur, at = fd, nat
	}
	return cur, at, nil
}

// DirAt resolves name in the directory dirfd (which resolved at at) to a
// directory, following symlinks inside the tree and creating nothing, and
// returns a descriptor the caller closes.
func (r *Root) DirAt(dirfd int, at, name string) (int, error) {
	fd, _, err := r.step(dirfd, at, name, false)
	return fd, err
}

// OpenDir returns a descriptor (O_PATH) of the directory p resolved inside
// the tree, creating nothing; the caller closes it.
func (r *Root) OpenDir(p string) (int, error) { return r.openDir(clean(p)) }
