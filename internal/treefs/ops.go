package treefs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// Mkdir creates the directory p with mode perm (not masked by the umask) and
// the caller's owner. p's parent must exist; an existing p is an error
// wrapping fs.ErrExist, whatever it is.
func (r *Root) Mkdir(p string, perm fs.FileMode) error {
	p = clean(p)
	dirfd, name, err := r.parent(p)
	if err != nil {
		return fmt.Errorf("mkdir %s: %w", p, err)
	}
	defer unix.Close(dirfd)
	if err := unix.Mkdirat(dirfd, name, 0o700); err != nil {
		return fmt.Errorf("mkdir %s: %w", p, err)
	}
	fd, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err == nil {
		err = unix.Fchmod(fd, modeBits(perm))
		unix.Close(fd)
	}
	if err != nil {
		return fmt.Errorf("chmod %s: %w", p, err)
	}
	return nil
}

// MkdirAll creates the directory p and its missing parents, each with mode
// perm and the caller's owner. What exists is left as it is: a symlink to a
// directory (inside the tree) is a directory here, as for mkdir -p.
func (r *Root) MkdirAll(p string, perm fs.FileMode) error {
	p = clean(p)
	st, err := r.Stat(p)
	switch {
	case err == nil && st.IsDir():
		return nil
	case err == nil:
		return fmt.Errorf("mkdir %s: exists and is not a directory: %w", p, unix.ENOTDIR)
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("mkdir %s: %w", p, err)
	}
	dir, _ := split(p)
	if err := r.MkdirAll(dir, perm); err != nil {
		return err
	}
	err = r.Mkdir(p, perm)
	if errors.Is(err, fs.ErrExist) {
		// A symlink that leads to nothing (or something made meanwhile).
		if st, serr := r.Stat(p); serr != nil || !st.IsDir() {
			return fmt.Errorf("mkdir %s: exists and does not lead to a directory: %w", p, unix.ENOTDIR)
		}
		return nil
	}
	return err
}

// Chmod sets the mode of p (a symlink at p followed inside the tree).
func (r *Root) Chmod(p string, mode fs.FileMode) error {
	p = clean(p)
	fd, err := r.open(p, unix.O_PATH, 0)
	if err != nil {
		return fmt.Errorf("chmod %s: %w", p, err)
	}
	defer unix.Close(fd)
	if err := fchmod(fd, modeBits(mode)); err != nil {
		return fmt.Errorf("chmod %s: %w", p, err)
	}
	return nil
}

// fchmod changes the mode of what the O_PATH descriptor fd names (fchmod(2)
// refuses O_PATH descriptors): fchmodat2 with AT_EMPTY_PATH since Linux 6.6,
// the descriptor's /proc link before (or where a seccomp filter refuses
// fchmodat2 with EPERM). Neither resolves a path in the tree.
func fchmod(fd int, mode uint32) error {
	err := unix.Fchmodat(fd, "", mode, unix.AT_EMPTY_PATH)
	if errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.EINVAL) || errors.Is(err, unix.EPERM) {
		err = unix.Fchmodat(unix.AT_FDCWD, "/proc/self/fd/"+strconv.Itoa(fd), mode, 0)
	}
	return err
}

// Chown sets the owner of p (a symlink at p followed inside the tree).
func (r *Root) Chown(p string, uid, gid int) error { return r.chown(p, uid, gid, 0) }

// Lchown sets the owner of p itself, even when it is a symlink.
func (r *Root) Lchown(p string, uid, gid int) error { return r.chown(p, uid, gid, unix.O_NOFOLLOW) }

func (r *Root) chown(p string, uid, gid, flags int) error {
	p = clean(p)
	fd, err := r.open(p, unix.O_PATH|flags, 0)
	if err != nil {
		return fmt.Errorf("chown %s: %w", p, err)
	}
	defer unix.Close(fd)
	if err := unix.Fchownat(fd, "", uid, gid, unix.AT_EMPTY_PATH); err != nil {
		return fmt.Errorf("chown %s: %w", p, err)
	}
	return nil
}

// Symlink makes p a symlink to target, replacing what stands at p (but a
// directory). The target is written as given: it is resolved when used.
func (r *Root) Symlink(target, p string) error {
	p = clean(p)
	dirfd, name, err := r.parent(p)
	if err != nil {
		return fmt.Errorf("symlink %s: %w", p, err)
	}
	defer unix.Close(dirfd)
	tmp, err := TempName(".kiln-tmp-", func(tmp string) error { return unix.Symlinkat(target, dirfd, tmp) })
	if err == nil {
		if err = unix.Renameat(dirfd, tmp, dirfd, name); err != nil {
			unix.Unlinkat(dirfd, tmp, 0)
		}
	}
	if err != nil {
		return fmt.Errorf("symlink %s: %w", p, err)
	}
	return nil
}

// Remove removes the file, symlink or empty directory p (a symlink itself,
// not what it leads to). A missing p is an error wrapping fs.ErrNotExist.
func (r *Root) Remove(p string) error {
	p = clean(p)
	dirfd, name, err := r.parent(p)
	if err != nil {
		return fmt.Errorf("remove %s: %w", p, err)
	}
	defer unix.Close(dirfd)
	err = unix.Unlinkat(dirfd, name, 0)
	if errors.Is(err, unix.EISDIR) {
		err = unix.Unlinkat(dirfd, name, unix.AT_REMOVEDIR)
	}
	if err != nil {
		return fmt.Errorf("remove %s: %w", p, err)
	}
	return nil
}

// RemoveAll removes p and everything below it; a missing p is no error. A
// directory below p on another filesystem is refused, not emptied.
func (r *Root) RemoveAll(p string) error {
	p = clean(p)
	dirfd, name, err := r.parent(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("remove %s: %w", p, err)
	}
	defer unix.Close(dirfd)
	if err := r.removeAllAt(dirfd, name); err != nil {
		return fmt.Errorf("remove %s: %w", p, err)
	}
	return nil
}

func (r *Root) removeAllAt(dirfd int, name string) error {
	var st unix.Stat_t
	err := unix.Fstatat(dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW)
	switch {
	case errors.Is(err, unix.ENOENT):
		return nil
	case err != nil:
		return err
	case st.Mode&unix.S_IFMT != unix.S_IFDIR:
		if err := unix.Unlinkat(dirfd, name, 0); err != nil && !errors.Is(err, unix.ENOENT) {
			return err
		}
		return nil
	case st.Dev != r.dev:
		return fmt.Errorf("%s is a mount point, not emptied: %w: %w", name, ErrConflict, unix.EXDEV)
	}
	fd, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	dir := os.NewFile(uintptr(fd), name)
	defer dir.Close()
	// All names first: removing entries while reading the directory may
	// make the reading skip some.
	names, err := dir.Readdirnames(-1)
	if err != nil {
		return err
	}
	for _, n := range names {
		if err := r.removeAllAt(fd, n); err != nil {
			return fmt.Errorf("in %s: %w", name, err)
		}
	}
	if err := unix.Unlinkat(dirfd, name, unix.AT_REMOVEDIR); err != nil && !errors.Is(err, unix.ENOENT) {
		return err
	}
	return nil
}

// Rename renames oldpath to newpath, both in the tree.
func (r *Root) Rename(oldpath, newpath string) error { return Rename(r, oldpath, r, newpath) }

// Rename moves oldpath of the tree from to newpath of the tree to (the same
// filesystem): each is resolved inside its own tree, and only its last
// component is renamed, so a symlink there is moved, not followed.
func Rename(from *Root, oldpath string, to *Root, newpath string) error {
	oldpath, newpath = clean(oldpath), clean(newpath)
	ofd, oname, err := from.parent(oldpath)
	if err != nil {
		return fmt.Errorf("rename %s: %w", oldpath, err)
	}
	defer unix.Close(ofd)
	nfd, nname, err := to.parent(newpath)
	if err != nil {
		return fmt.Errorf("rename to %s: %w", newpath, err)
	}
	defer unix.Close(nfd)
	if err := unix.Renameat(ofd, oname, nfd, nname); err != nil {
		return fmt.Errorf("rename %s to %s: %w", oldpath, newpath, err)
	}
	return nil
}
