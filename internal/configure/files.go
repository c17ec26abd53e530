package configure

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"syscall"

	"github.com/kilnhq/kiln/internal/treefs"
)

// tree is the image tree. Every path it is given is resolved inside the tree
// (internal/treefs): the tree's symlinks are absolute paths meant for the
// booted system (var/run -> /run), and must never lead a write, or a read
// that ends up in the image, onto the host.
type tree struct{ *treefs.Root }

// owner is a numeric uid:gid.
type owner struct{ uid, gid int }

var rootOwner = owner{0, 0}

// writeFile replaces p with data (temp file in the same directory, then rename), so
// a file shared with the base cache by a hard link is never written through, and
// a reader never sees half a file. Parent directories are created root-owned 0755.
func (t tree) writeFile(p string, data []byte, mode fs.FileMode, o owner) error {
	if err := t.mkdirAll(path.Dir(p), 0o755, rootOwner); err != nil {
		return err
	}
	return t.WriteFileOwned(p, data, mode, o.uid, o.gid)
}

// readFile reads an in-image file; a missing file reads as empty when optional.
func (t tree) readFile(p string, optional bool) ([]byte, error) {
	data, err := t.ReadFile(p)
	if err != nil && optional && errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	return data, nil
}

// mkdirAll creates p with mode and owner, and its missing parents root-owned
// 0755. What exists is left as it is, a symlink to a directory included: the
// tree's links lead inside the tree.
func (t tree) mkdirAll(p string, mode fs.FileMode, o owner) error {
	if info, err := t.Stat(p); err == nil && info.IsDir() {
		return nil
	}
	if err := t.MkdirAll(path.Dir(path.Clean("/"+p)), 0o755); err != nil {
		return err
	}
	return t.mkdir(p, mode, o)
}

// mkdir creates one directory, or takes the one that is there (a symlink is
// not one), and sets mode (not masked by umask) and owner.
func (t tree) mkdir(p string, mode fs.FileMode, o owner) error {
	if err := t.Mkdir(p, mode); errors.Is(err, fs.ErrExist) {
		if info, err := t.Lstat(p); err != nil || !info.IsDir() {
			return fmt.Errorf("mkdir %s: exists and is not a directory", p)
		}
		if err := t.Chmod(p, mode); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	return t.Lchown(p, o.uid, o.gid)
}

// symlink makes p a symlink to target, replacing what was there.
func (t tree) symlink(target, p string) error { return t.Symlink(target, p) }

// remove deletes p if it exists.
func (t tree) remove(p string) error {
	if err := t.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// exists reports whether p exists in the tree (not following a final symlink).
func (t tree) exists(p string) bool {
	_, err := t.Lstat(p)
	return err == nil
}

// unshare gives p its own inode when it is hard-linked (to the base cache, see
// internal/rootfs), so that a tool that writes into p in place leaves the cache
// alone.
func (t tree) unshare(p string) error {
	info, err := t.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("stat %s: %w", p, err)
	}
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok || !info.Mode().IsRegular() || st.Nlink < 2 {
		return nil
	}
	data, err := t.ReadFile(p)
	if err != nil {
		return err
	}
	return t.writeFile(p, data, info.Mode().Perm(), owner{int(st.Uid), int(st.Gid)})
}

// lines splits a text file into lines without the final empty one.
func lines(data []byte) []string {
	s := strings.TrimRight(string(data), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}
