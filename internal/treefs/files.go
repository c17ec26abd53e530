package treefs

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"

	"golang.org/x/sys/unix"
)

// maxRead bounds ReadFile: the files read whole from a tree are configuration
// (passwd, os-release, skel), and a tree is not trusted with our memory.
const maxRead = 64 << 20

// OpenFile opens p as os.OpenFile does, resolved inside the tree (a symlink
// at p is followed inside the tree unless flag has O_NOFOLLOW or O_EXCL).
// The file's Name is p.
func (r *Root) OpenFile(p string, flag int, perm fs.FileMode) (*os.File, error) {
	p = clean(p)
	fd, err := r.open(p, flag, modeBits(perm))
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), p), nil
}

// ReadFile reads the regular file p (a symlink at p followed inside the
// tree). Anything else there (a device, a pipe) is an error: the tree's
// /dev/zero must not be read to the end.
func (r *Root) ReadFile(p string) ([]byte, error) {
	f, err := r.OpenFile(p, unix.O_RDONLY|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("read %s: not a regular file (%s)", f.Name(), st.Mode().Type())
	}
	if st.Size() > maxRead {
		return nil, fmt.Errorf("read %s: larger than %d MiB", f.Name(), maxRead>>20)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxRead+1))
	if err == nil && len(data) > maxRead {
		err = fmt.Errorf("larger than %d MiB", maxRead>>20)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", f.Name(), err)
	}
	return data, nil
}

// WriteFile replaces p with a new file holding data, with mode perm (not
// masked by the umask) and the caller's owner. See WriteFileOwned.
func (r *Root) WriteFile(p string, data []byte, perm fs.FileMode) error {
	return r.writeFile(p, data, perm, -1, -1)
}

// WriteFileOwned replaces p with a new file holding data, with mode perm and
// owned by uid:gid. The file is made under a temporary name in p's directory
// and renamed over p, so what stood at p (a symlink, or a file whose inode the
// tree shares with the base cache) is replaced, never written through, and
// nobody sees half a file. A directory at p is an error; p's parent must
// exist.
func (r *Root) WriteFileOwned(p string, data []byte, perm fs.FileMode, uid, gid int) error {
	return r.writeFile(p, data, perm, uid, gid)
}

func (r *Root) writeFile(p string, data []byte, perm fs.FileMode, uid, gid int) error {
	p = clean(p)
	dirfd, name, err := r.parent(p)
	if err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	defer unix.Close(dirfd)
	var st unix.Stat_t
	if err := unix.Fstatat(dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err == nil && st.Mode&unix.S_IFMT == unix.S_IFDIR {
		return fmt.Errorf("write %s: is a directory: %w", p, unix.EISDIR)
	}
	var fd int
	tmp, err := TempName(".kiln-tmp-", func(tmp string) (err error) {
		fd, err = unix.Openat(dirfd, tmp, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
		return err
	})
	if err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	f := os.NewFile(uintptr(fd), p)
	err = func() error {
		if _, err := f.Write(data); err != nil {
			return err
		}
		if uid >= 0 {
			// Owner before mode: chown clears setuid and setgid.
			if err := unix.Fchown(fd, uid, gid); err != nil {
				return fmt.Errorf("chown %d:%d: %w", uid, gid, err)
			}
		}
		if err := unix.Fchmod(fd, modeBits(perm)); err != nil {
			return fmt.Errorf("chmod: %w", err)
		}
		return f.Close()
	}()
	if err == nil {
		err = unix.Renameat(dirfd, tmp, dirfd, name)
	}
	if err != nil {
		f.Close()
		unix.Unlinkat(dirfd, tmp, 0)
		return fmt.Errorf("write %s: %w", p, err)
	}
	return nil
}

// TempName calls mk with fresh names (prefix and a random part) until one is
// free, for a file made beside its final name and renamed over it. The random
// part keeps a name left by a crashed run from colliding.
func TempName(prefix string, mk func(tmp string) error) (string, error) {
	var b [8]byte
	for range 8 {
		rand.Read(b[:])
		tmp := prefix + hex.EncodeToString(b[:])
		err := mk(tmp)
		if !errors.Is(err, unix.EEXIST) {
			return tmp, err
		}
	}
	return "", errors.New("no free temporary name")
}

// Stat describes p, a symlink at p followed inside the tree.
func (r *Root) Stat(p string) (fs.FileInfo, error) { return r.stat(p, 0) }

// Lstat describes p itself, even when it is a symlink.
func (r *Root) Lstat(p string) (fs.FileInfo, error) { return r.stat(p, unix.O_NOFOLLOW) }

func (r *Root) stat(p string, flags int) (fs.FileInfo, error) {
	p = clean(p)
	fd, err := r.open(p, unix.O_PATH|flags, 0)
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(fd), path.Base(p))
	defer f.Close()
	return f.Stat() // fstat: works on O_PATH descriptors, symlinks included
}

// Readlink returns the target of the symlink p.
func (r *Root) Readlink(p string) (string, error) {
	p = clean(p)
	dirfd, name, err := r.parent(p)
	if err != nil {
		return "", fmt.Errorf("readlink %s: %w", p, err)
	}
	defer unix.Close(dirfd)
	target, err := readlinkat(dirfd, name)
	if err != nil {
		return "", fmt.Errorf("readlink %s: %w", p, err)
	}
	return target, nil
}

// ReadDir lists the directory p (followed inside the tree), sorted by name.
// Each entry's Info was read when listing, relative to the directory's
// descriptor: unlike os.ReadDir's, it never goes back to a path.
func (r *Root) ReadDir(p string) ([]fs.DirEntry, error) {
	p = clean(p)
	fd, err := r.open(p, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return nil, err
	}
	dir := os.NewFile(uintptr(fd), p)
	defer dir.Close()
	names, err := dir.Readdirnames(-1)
	if err != nil {
		return nil, fmt.Errorf("read directory %s: %w", p, err)
	}
	slices.Sort(names)
	ents := make([]fs.DirEntry, 0, len(names))
	for _, name := range names {
		efd, err := unix.Openat(fd, name, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if errors.Is(err, unix.ENOENT) {
			continue // removed since it was listed
		}
		if err != nil {
			return nil, fmt.Errorf("read directory %s: %s: %w", p, name, err)
		}
		ef := os.NewFile(uintptr(efd), name)
		info, err := ef.Stat()
		ef.Close()
		if err != nil {
			return nil, fmt.Errorf("read directory %s: %w", p, err)
		}
		ents = append(ents, fs.FileInfoToDirEntry(info))
	}
	return ents, nil
}

// modeBits turns a FileMode into the bits chmod(2) takes.
func modeBits(m fs.FileMode) uint32 {
	b := uint32(m.Perm())
	if m&fs.ModeSetuid != 0 {
		b |= unix.S_ISUID
	}
	if m&fs.ModeSetgid != 0 {
		b |= unix.S_ISGID
	}
	if m&fs.ModeSticky != 0 {
		b |= unix.S_ISVTX
	}
	return b
}
