package disk

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
)

// detached records the subtrees of extra mount points moved out of the root
// tree while its filesystem is made: mkfs -d copies a whole directory, and the
// root filesystem must hold only an empty mount point directory for them.
type detached struct {
	stage string            // sibling directory of the root tree (same filesystem: renames are cheap)
	dirs  map[string]string // mount point → its subtree in stage
	order []string          // mount points in the order they were moved
	root  string
}

// detachMounts moves the subtree of each mount point out of rootDir, deepest
// first so that /var/log's files leave /var before /var itself moves, and
// leaves an empty directory with the same mode and owner in its place.
func detachMounts(rootDir string, mounts []string) (*detached, error) {
	d := &detached{dirs: map[string]string{}, root: rootDir}
	if len(mounts) == 0 {
		return d, nil
	}
	stage, err := os.MkdirTemp(filepath.Dir(filepath.Clean(rootDir)), ".kiln-mounts-")
	if err != nil {
		return nil, fmt.Errorf("stage mount point subtrees: %w", err)
	}
	d.stage = stage
	sorted := append([]string(nil), mounts...)
	sort.Slice(sorted, func(i, j int) bool { return strings.Count(sorted[i], "/") > strings.Count(sorted[j], "/") })
	for i, mp := range sorted {
		src := filepath.Join(rootDir, mp)
		dst := filepath.Join(stage, fmt.Sprintf("%d", i))
		st, err := os.Lstat(src)
		switch {
		case errors.Is(err, os.ErrNotExist):
			// Nothing to move: an empty filesystem, and an empty mount point in root.
			if err := os.MkdirAll(src, 0o755); err != nil {
				return d, fmt.Errorf("create mount point %s: %w", mp, err)
			}
			if err := os.Mkdir(dst, 0o755); err != nil {
				return d, fmt.Errorf("create empty %s: %w", mp, err)
			}
			d.dirs[mp] = dst
			continue
		case err != nil:
			return d, fmt.Errorf("inspect mount point %s: %w", mp, err)
		case !st.IsDir():
			return d, fmt.Errorf("mount point %s is not a directory in the root tree (%s)", mp, st.Mode().Type())
		}
		if err := os.Rename(src, dst); err != nil {
			return d, fmt.Errorf("move %s out of the root tree: %w", mp, err)
		}
		d.dirs[mp] = dst
		d.order = append(d.order, mp)
		if err := os.Mkdir(src, st.Mode().Perm()); err != nil {
			return d, fmt.Errorf("create empty mount point %s: %w", mp, err)
		}
		if sys, ok := st.Sys().(*syscall.Stat_t); ok {
			if err := os.Lchown(src, int(sys.Uid), int(sys.Gid)); err != nil {
				return d, fmt.Errorf("chown mount point %s: %w", mp, err)
			}
		}
		// Mkdir is subject to the umask; set the mode exactly.
		if err := os.Chmod(src, st.Mode().Perm()|st.Mode()&(os.ModeSticky|os.ModeSetgid)); err != nil {
			return d, fmt.Errorf("chmod mount point %s: %w", mp, err)
		}
	}
	return d, nil
}

// source returns the directory to fill mount point mp's filesystem from.
func (d *detached) source(mp string) string { return d.dirs[mp] }

// restore moves every subtree back, in reverse order, and removes the stage.
func (d *detached) restore() error {
	var errs []error
	for i := len(d.order) - 1; i >= 0; i-- {
		mp := d.order[i]
		dst := filepath.Join(d.root, mp)
		if err := os.Remove(dst); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, fmt.Errorf("remove placeholder %s: %w", mp, err))
			continue
		}
		if err := os.Rename(d.dirs[mp], dst); err != nil {
			errs = append(errs, fmt.Errorf("move %s back into the root tree: %w", mp, err))
		}
	}
	if d.stage != "" && len(errs) == 0 {
		if err := os.RemoveAll(d.stage); err != nil {
			errs = append(errs, fmt.Errorf("remove stage: %w", err))
		}
	}
	return errors.Join(errs...)
}
