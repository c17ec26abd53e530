package disk

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"github.com/kilnhq/kiln/internal/treefs"
)

// detached records the subtrees of extra mount points moved out of the root
// tree while its filesystem is made: mkfs -d copies a whole directory, and the
// root filesystem must hold only an empty mount point directory for them.
type detached struct {
	tree     *treefs.Root
	stageDir string            // sibling directory of the root tree (same filesystem: renames are cheap)
	stage    *treefs.Root      // stageDir, opened
	dirs     map[string]string // mount point → its subtree in stage ("/0")
	order    []string          // mount points in the order they were moved
}

// dataMounts lists the mount points of the layout's extra filesystems.
func dataMounts(l *Layout) []string {
	var mounts []string
	for _, p := range l.Partitions {
		if p.Role == RoleData {
			mounts = append(mounts, p.MountPoint)
		}
	}
	return mounts
}

// checkMounts refuses a mount point that reaches through a symlink of the
// tree: resolved inside the tree it would be another directory than the one
// asked for (var/run/nologin is the tree's /run/nologin), and the subtree
// moved out for it another one too.
func checkMounts(tree *treefs.Root, mounts []string) error {
	for _, mp := range mounts {
		if err := tree.CheckNoLinks(mp); err != nil {
			return fmt.Errorf("install.disk.partitions mountPoint: %w", err)
		}
	}
	return nil
}

// detachMounts moves the subtree of each mount point out of the tree, deepest
// first so that /var/log's files leave /var before /var itself moves, and
// leaves an empty directory with the same mode and owner in its place. Every
// move is a rename of one component between two open directories, each
// resolved inside its own tree.
func detachMounts(tree *treefs.Root, mounts []string) (*detached, error) {
	d := &detached{tree: tree, dirs: map[string]string{}}
	if len(mounts) == 0 {
		return d, nil
	}
	if err := checkMounts(tree, mounts); err != nil {
		return nil, err
	}
	stageDir, err := os.MkdirTemp(filepath.Dir(tree.Dir()), ".kiln-mounts-")
	if err != nil {
		return nil, fmt.Errorf("stage mount point subtrees: %w", err)
	}
	d.stageDir = stageDir
	if d.stage, err = treefs.Open(stageDir); err != nil {
		return d, fmt.Errorf("stage mount point subtrees: %w", err)
	}
	sorted := append([]string(nil), mounts...)
	sort.Slice(sorted, func(i, j int) bool { return strings.Count(sorted[i], "/") > strings.Count(sorted[j], "/") })
	for i, mp := range sorted {
		dst := "/" + strconv.Itoa(i)
		st, err := tree.Lstat(mp)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			// Nothing to move: an empty filesystem, and an empty mount point in root.
			if err := tree.MkdirAll(mp, 0o755); err != nil {
				return d, fmt.Errorf("create mount point %s: %w", mp, err)
			}
			if err := d.stage.Mkdir(dst, 0o755); err != nil {
				return d, fmt.Errorf("create empty %s: %w", mp, err)
			}
			d.dirs[mp] = dst
			continue
		case err != nil:
			return d, fmt.Errorf("inspect mount point %s: %w", mp, err)
		case !st.IsDir():
			return d, fmt.Errorf("mount point %s is not a directory in the root tree (%s)", mp, st.Mode().Type())
		}
		if err := treefs.Rename(tree, mp, d.stage, dst); err != nil {
			return d, fmt.Errorf("move %s out of the root tree: %w", mp, err)
		}
		d.dirs[mp] = dst
		d.order = append(d.order, mp)
		mode := st.Mode() & (fs.ModePerm | fs.ModeSticky | fs.ModeSetgid)
		if err := tree.Mkdir(mp, mode); err != nil {
			return d, fmt.Errorf("create empty mount point %s: %w", mp, err)
		}
		if sys, ok := st.Sys().(*syscall.Stat_t); ok {
			if err := tree.Lchown(mp, int(sys.Uid), int(sys.Gid)); err != nil {
				return d, fmt.Errorf("chown mount point %s: %w", mp, err)
			}
		}
		// Set the mode after the owner: chown may clear setgid.
		if err := tree.Chmod(mp, mode); err != nil {
			return d, fmt.Errorf("chmod mount point %s: %w", mp, err)
		}
	}
	return d, nil
}

// source returns the host directory to fill mount point mp's filesystem from.
func (d *detached) source(mp string) string { return filepath.Join(d.stageDir, d.dirs[mp]) }

// restore moves every subtree back, in reverse order, and removes the stage.
func (d *detached) restore() error {
	var errs []error
	for i := len(d.order) - 1; i >= 0; i-- {
		mp := d.order[i]
		if err := d.tree.Remove(mp); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("remove placeholder %s: %w", mp, err))
			continue
		}
		if err := treefs.Rename(d.stage, d.dirs[mp], d.tree, mp); err != nil {
			errs = append(errs, fmt.Errorf("move %s back into the root tree: %w", mp, err))
		}
	}
	if d.stage != nil {
		d.stage.Close()
	}
	if d.stageDir != "" && len(errs) == 0 {
		if err := os.RemoveAll(d.stageDir); err != nil {
			errs = append(errs, fmt.Errorf("remove stage: %w", err))
		}
	}
	return errors.Join(errs...)
}
