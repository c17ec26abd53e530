package overlay

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"github.com/kilnhq/kiln/internal/treefs"
)

// The per-kind writers below work on the member's parent directory
// descriptor pfd and its last component name: every call is an *at call on
// one component, so nothing can be redirected out of the tree.

func (a *applier) file(e *Entry, pfd int, name string) error {
	if err := a.clearDir(pfd, name); err != nil {
		return err
	}
	var fd int
	tmp, err := withTempName(func(tmp string) (err error) {
		fd, err = unix.Openat(pfd, tmp, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
		return err
	})
	if err != nil {
		return fmt.Errorf("create temporary file: %w", err)
	}
	f := os.NewFile(uintptr(fd), tmp)
	done := false
	defer func() {
		if !done {
			f.Close()
			unix.Unlinkat(pfd, tmp, 0)
		}
	}()
	if err := a.rd.copyContent(f); err != nil {
		return err
	}
	if err := a.setMeta(fd, e); err != nil {
		return err
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return fmt.Errorf("stat %s: %w", tmp, err)
	}
	// No fsync: the tree is packed into an image right after, and a crash
	// discards it.
	done = true
	if err := f.Close(); err != nil {
		unix.Unlinkat(pfd, tmp, 0)
		return fmt.Errorf("close %s: %w", tmp, err)
	}
	if err := a.commit(pfd, tmp, name, e); err != nil {
		return err
	}
	a.inodes[a.rd.idx.key(e.Path)] = st.Ino
	return nil
}

// dir creates the directory or updates an existing one. kept reports a
// symlink to a directory that was left in place.
func (a *applier) dir(e *Entry, pfd int, prel, name string) (kept bool, err error) {
	var st unix.Stat_t
	err = unix.Fstatat(pfd, name, &st, unix.AT_SYMLINK_NOFOLLOW)
	switch {
	case errors.Is(err, unix.ENOENT):
	case err != nil:
		return false, fmt.Errorf("stat: %w", err)
	case st.Mode&unix.S_IFMT == unix.S_IFDIR && st.Dev != a.tree.Dev():
		// stat sees the root of what is mounted there: changing its owner
		// or mode would change another filesystem's.
		return false, fmt.Errorf("a mount point, not changed: %w", ErrConflict)
	case st.Mode&unix.S_IFMT == unix.S_IFDIR:
		return false, a.dirMeta(pfd, name, e)
	case st.Mode&unix.S_IFMT == unix.S_IFLNK:
		// Keep a symlink that leads to a directory inside the tree: the
		// tree's layout (merged /usr's lib -> usr/lib) outranks the
		// scanned machine's, and the directory it leads to is not this
		// member's to retag.
		if fd, err := a.tree.DirAt(pfd, prel, name); err == nil {
			unix.Close(fd)
			return true, nil
		}
		fallthrough
	default:
		if err := unix.Unlinkat(pfd, name, 0); err != nil {
			return false, fmt.Errorf("remove what is in the way: %w", err)
		}
		a.stale = true
		a.res.Replaced++
	}
	if err := unix.Mkdirat(pfd, name, 0o700); err != nil {
		return false, fmt.Errorf("create directory: %w", err)
	}
	return false, a.dirMeta(pfd, name, e)
}

func (a *applier) dirMeta(pfd int, name string, e *Entry) error {
	fd, err := unix.Openat(pfd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open directory: %w", err)
	}
	defer unix.Close(fd)
	return a.setMeta(fd, e)
}

func (a *applier) symlink(e *Entry, pfd int, name string) error {
	if err := a.clearDir(pfd, name); err != nil {
		return err
	}
	tmp, err := withTempName(func(tmp string) error { return unix.Symlinkat(e.LinkTarget, pfd, tmp) })
	if err != nil {
		return fmt.Errorf("create symlink: %w", err)
	}
	uid, gid := a.owner(e)
	if err := unix.Fchownat(pfd, tmp, uid, gid, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		unix.Unlinkat(pfd, tmp, 0)
		return fmt.Errorf("chown symlink: %w", err)
	}
	a.stale = true // a new symlink may stand where a cached path leads
	return a.commit(pfd, tmp, name, e)
}

func (a *applier) hardlink(e *Entry, pfd int, name string) error {
	tdir, tname := splitPath(e.LinkTarget)
	tfd, err := a.tree.OpenDir(tdir)
	if err != nil {
		return fmt.Errorf("hard link target %q: %w", e.LinkTarget, err)
	}
	defer unix.Close(tfd)
	var st unix.Stat_t
	err = unix.Fstatat(tfd, tname, &st, unix.AT_SYMLINK_NOFOLLOW)
	want, extracted := a.inodes[a.rd.idx.key(e.LinkTarget)]
	if err != nil || !extracted || st.Mode&unix.S_IFMT != unix.S_IFREG || st.Ino != want || st.Dev != a.tree.Dev() {
		return fmt.Errorf("hard link target %q is no longer the file this archive extracted there: %w", e.LinkTarget, ErrConflict)
	}
	if err := a.clearDir(pfd, name); err != nil {
		return err
	}
	tmp, err := withTempName(func(tmp string) error { return unix.Linkat(tfd, tname, pfd, tmp, 0) })
	if err != nil {
		return fmt.Errorf("hard link to %q: %w", e.LinkTarget, err)
	}
	if err := a.commit(pfd, tmp, name, nil); err != nil {
		return err
	}
	// Renaming a link over another link to the same inode does nothing and
	// leaves the temporary name: remove it.
	if err := unix.Unlinkat(pfd, tmp, 0); err != nil && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("remove %s: %w", tmp, err)
	}
	a.inodes[a.rd.idx.key(e.Path)] = want
	return nil
}

func (a *applier) fifo(e *Entry, pfd int, name string) error {
	if err := a.clearDir(pfd, name); err != nil {
		return err
	}
	tmp, err := withTempName(func(tmp string) error { return unix.Mknodat(pfd, tmp, unix.S_IFIFO|0o600, 0) })
	if err != nil {
		return fmt.Errorf("create named pipe: %w", err)
	}
	// A pipe is not opened (that would block), so it is changed by name:
	// tmp was just made by mknod in a directory only Apply writes to.
	uid, gid := a.owner(e)
	err = unix.Fchownat(pfd, tmp, uid, gid, unix.AT_SYMLINK_NOFOLLOW)
	if err == nil {
		err = unix.Fchmodat(pfd, tmp, e.Mode, 0)
	}
	if err != nil {
		unix.Unlinkat(pfd, tmp, 0)
		return fmt.Errorf("set owner and mode of named pipe: %w", err)
	}
	return a.commit(pfd, tmp, name, e)
}

// setMeta gives an open file or directory its owner, then its mode (chown
// clears setuid and setgid), then its attributes (chown clears
// security.capability).
func (a *applier) setMeta(fd int, e *Entry) error {
	uid, gid := a.owner(e)
	if err := unix.Fchown(fd, uid, gid); err != nil {
		return fmt.Errorf("chown %d:%d: %w", uid, gid, err)
	}
	if err := unix.Fchmod(fd, e.Mode); err != nil {
		return fmt.Errorf("chmod %04o: %w", e.Mode, err)
	}
	for k, v := range e.Xattrs {
		if err := unix.Fsetxattr(fd, k, v, 0); err != nil {
			return fmt.Errorf("set extended attribute %s: %w", k, err)
		}
	}
	return nil
}

// clearDir makes way for a non-directory where the tree has a directory:
// an empty one is removed, a non-empty one is a conflict.
func (a *applier) clearDir(pfd int, name string) error {
	var st unix.Stat_t
	err := unix.Fstatat(pfd, name, &st, unix.AT_SYMLINK_NOFOLLOW)
	if errors.Is(err, unix.ENOENT) || err == nil && st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return nil
	}
	if err != nil {
		return fmt.Errorf("stat: %w", err)
	}
	err = unix.Unlinkat(pfd, name, unix.AT_REMOVEDIR)
	if errors.Is(err, unix.ENOTEMPTY) || errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("the tree has a non-empty directory there: %w", ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("remove the empty directory in the way: %w", err)
	}
	a.stale = true
	a.res.Replaced++
	return nil
}

// commit sets the modification time of tmp (when e is given) and renames
// it over name, counting what it replaced. On error tmp is removed.
func (a *applier) commit(pfd int, tmp, name string, e *Entry) error {
	if e != nil {
		ts := []unix.Timespec{
			{Nsec: unix.UTIME_OMIT}, // access time: now, as for any new file
			{Sec: e.ModTime.Unix(), Nsec: int64(e.ModTime.Nanosecond())},
		}
		if err := unix.UtimesNanoAt(pfd, tmp, ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			unix.Unlinkat(pfd, tmp, 0)
			return fmt.Errorf("set modification time: %w", err)
		}
	}
	var st unix.Stat_t
	err := unix.Fstatat(pfd, name, &st, unix.AT_SYMLINK_NOFOLLOW)
	existed := err == nil
	if existed && st.Mode&unix.S_IFMT == unix.S_IFLNK {
		a.stale = true
	}
	if err := unix.Renameat(pfd, tmp, pfd, name); err != nil {
		unix.Unlinkat(pfd, tmp, 0)
		return fmt.Errorf("rename into place: %w", err)
	}
	if existed {
		a.res.Replaced++
	}
	return nil
}

// withTempName calls mk with fresh hidden names until one is free.
func withTempName(mk func(tmp string) error) (string, error) {
	return treefs.TempName(".kiln-overlay-", mk)
}
