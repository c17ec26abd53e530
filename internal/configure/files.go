package configure

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// tree resolves paths inside the image tree. Every path it hands out stays under
// root: configure never follows a symlink out of the tree, because the tree's
// symlinks are absolute paths meant for the booted system, not for the host.
type tree struct{ root string }

// path maps an absolute in-image path ("/etc/hostname") to the host path.
func (t tree) path(p string) string {
	return filepath.Join(t.root, filepath.Clean("/"+p))
}

// owner is a numeric uid:gid.
type owner struct{ uid, gid int }

var rootOwner = owner{0, 0}

// writeFile replaces p with data (temp file in the same directory, then rename), so
// a file shared with the base cache by a hard link is never written through, and
// a reader never sees half a file. Parent directories are created root-owned 0755.
func (t tree) writeFile(p string, data []byte, mode fs.FileMode, o owner) error {
	full := t.path(p)
	if err := t.mkdirAll(filepath.Dir(p), 0o755, rootOwner); err != nil {
		return err
	}
	if info, err := os.Lstat(full); err == nil && info.IsDir() {
		return fmt.Errorf("write %s: is a directory", p)
	}
	f, err := os.CreateTemp(filepath.Dir(full), ".kiln-"+filepath.Base(full)+"-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	if err := f.Chmod(mode); err != nil {
		return fmt.Errorf("chmod %s: %w", p, err)
	}
	if err := f.Chown(o.uid, o.gid); err != nil {
		return fmt.Errorf("chown %s: %w", p, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	if err := os.Rename(tmp, full); err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	ok = true
	return nil
}

// readFile reads an in-image file; a missing file reads as empty when optional.
func (t tree) readFile(p string, optional bool) ([]byte, error) {
	data, err := os.ReadFile(t.path(p))
	if err != nil && optional && errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	return data, nil
}

// mkdirAll creates p and missing parents with mode and owner; existing
// directories are left as they are.
func (t tree) mkdirAll(p string, mode fs.FileMode, o owner) error {
	p = filepath.Clean("/" + p)
	if p == "/" {
		return nil
	}
	full := t.path(p)
	info, err := os.Lstat(full)
	if err == nil {
		if !info.IsDir() {
			return fmt.Errorf("mkdir %s: exists and is not a directory", p)
		}
		return nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("mkdir %s: %w", p, err)
	}
	if err := t.mkdirAll(filepath.Dir(p), 0o755, rootOwner); err != nil {
		return err
	}
	return t.mkdir(p, mode, o)
}

// mkdir creates one directory and sets mode (not masked by umask) and owner.
func (t tree) mkdir(p string, mode fs.FileMode, o owner) error {
	full := t.path(p)
	if err := os.Mkdir(full, mode); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("mkdir %s: %w", p, err)
	}
	if err := os.Chmod(full, mode); err != nil {
		return fmt.Errorf("chmod %s: %w", p, err)
	}
	if err := os.Lchown(full, o.uid, o.gid); err != nil {
		return fmt.Errorf("chown %s: %w", p, err)
	}
	return nil
}

// symlink makes p a symlink to target, replacing what was there.
func (t tree) symlink(target, p string) error {
	full := t.path(p)
	tmp := filepath.Join(filepath.Dir(full), ".kiln-"+filepath.Base(full)+".lnk")
	_ = os.Remove(tmp)
	if err := os.Symlink(target, tmp); err != nil {
		return fmt.Errorf("symlink %s: %w", p, err)
	}
	if err := os.Rename(tmp, full); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("symlink %s: %w", p, err)
	}
	return nil
}

// remove deletes p if it exists.
func (t tree) remove(p string) error {
	if err := os.Remove(t.path(p)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove %s: %w", p, err)
	}
	return nil
}

// exists reports whether p exists in the tree (not following a final symlink).
func (t tree) exists(p string) bool {
	_, err := os.Lstat(t.path(p))
	return err == nil
}

// unshare gives p its own inode when it is hard-linked (to the base cache, see
// internal/rootfs), so that a tool that writes into p in place leaves the cache
// alone.
func (t tree) unshare(p string) error {
	full := t.path(p)
	info, err := os.Lstat(full)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("stat %s: %w", p, err)
	}
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok || !info.Mode().IsRegular() || st.Nlink < 2 {
		return nil
	}
	data, err := os.ReadFile(full)
	if err != nil {
		return fmt.Errorf("read %s: %w", p, err)
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
