package rootfs

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"syscall"

	"github.com/kilnhq/kiln/internal/run"
)

// sharedDirs are the top-level directories of a base that a build gets as hard
// links to the cache instead of copies. They hold ~90% of the bytes (programs,
// libraries, kernel modules, docs) and nothing in the pipeline writes into them:
// configuration lives in /etc, state in /var, boot files in /boot, and those are
// copied. A step that does need to change a file under them must replace it
// (write a new file and rename it over the old one, or remove it first), which
// leaves the cached inode untouched; see README.md.
//
// Why not copy everything: a copy of a ~400 MB tree costs seconds of I/O and
// page cache, and ext4 (the cache's usual filesystem) has no reflinks. A hard-link
// farm costs one link(2) per file. mkfs.ext4 -d reads link counts only to find
// links *within* the tree, so the extra links to the cache do not change the image.
var sharedDirs = map[string]bool{"usr": true, "opt": true}

// populate makes dst (an existing empty directory) a copy of base: sharedDirs as
// hard links, everything else copied (cp -a keeps owners, modes, times, xattrs,
// device nodes; --reflink=auto shares blocks on filesystems that can).
func populate(ctx context.Context, base, dst string) error {
	ents, err := os.ReadDir(base)
	if err != nil {
		return err
	}
	var linked, copied []string
	for _, e := range ents {
		p := filepath.Join(base, e.Name())
		if e.IsDir() && sharedDirs[e.Name()] {
			linked = append(linked, p)
		} else {
			copied = append(copied, p)
		}
	}
	sort.Strings(linked)
	sort.Strings(copied)
	if len(copied) > 0 {
		args := append([]string{"-a", "--reflink=auto", "--"}, copied...)
		if err := run.Run(ctx, run.Cmd{Name: "cp", Args: append(args, dst+"/")}); err != nil {
			return fmt.Errorf("copy base: %w", err)
		}
	}
	if len(linked) > 0 {
		args := append([]string{"-a", "--link", "--"}, linked...)
		if err := run.Run(ctx, run.Cmd{Name: "cp", Args: append(args, dst+"/")}); err != nil {
			return fmt.Errorf("link base: %w", err)
		}
	}
	return copyRootMeta(base, dst)
}

// copyRootMeta gives dst the mode, owner and times of base's top directory.
func copyRootMeta(base, dst string) error {
	info, err := os.Stat(base)
	if err != nil {
		return err
	}
	if err := os.Chmod(dst, info.Mode().Perm()); err != nil {
		return err
	}
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		if err := os.Lchown(dst, int(st.Uid), int(st.Gid)); err != nil {
			return err
		}
	}
	return os.Chtimes(dst, info.ModTime(), info.ModTime())
}
