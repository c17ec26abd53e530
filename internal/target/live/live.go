// Package live builds the live artifacts of a generation from a configured
// root tree: a hybrid BIOS/UEFI ISO (ISO) and a network-boot bundle (PXE). Both
// carry the tree as one squashfs that Debian's live-boot mounts read-only under
// a tmpfs overlay, plus the tree's own kernel and initramfs, which must contain
// live-boot's hooks (Packages lists what the tree needs installed).
//
// Every external tool runs through internal/run (own process group, killed on
// cancel); everything staged lives in a directory of Input.WorkDir that is
// removed on return, on failure and cancellation too.
package live

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/kilnhq/kiln/internal/disk"
	"github.com/kilnhq/kiln/internal/treefs"
)

// Packages are the Debian packages the tree must contain for a live boot: the
// generation adds them to the package set of the ISO and PXE formats.
// live-boot's initramfs hook adds squashfs, overlay, the CD-ROM drivers and its
// network fetch code to the initramfs. A new slice each call: callers may append.
func Packages() []string { return []string{"live-boot"} }

// Input is what both artifacts are built from.
type Input struct {
	Root         string   // configured root tree with a kernel (/boot/vmlinuz-*) and a live-boot initramfs
	WorkDir      string   // scratch directory (squashfs, ISO staging); exists; everything created in it is removed on return
	Label        string   // volume label / name; sanitized into an ISO volume id
	KernelParams []string // extra kernel parameters from the install profile (appended)
	// Progress, when set, receives the bytes of the tree packed so far and the
	// tree's size. Packing the tree into the squashfs is nearly all of the work;
	// total is reported once the artifact is complete.
	Progress func(done, total int64)
}

// squashfsName is where live-boot looks for the root filesystem: any
// /live/*.squashfs on a medium, or the file that fetch= downloads.
const squashfsName = "filesystem.squashfs"

// job is one build: the validated input and its scratch directory.
type job struct {
	in       Input
	root     string // absolute
	kernel   string // absolute path of the kernel image in the tree
	initrd   string // absolute path of its initramfs
	version  string // kernel version, for the menu entry
	label    string // sanitized volume id
	params   []string
	scratch  string // our directory in WorkDir
	treeSize int64
}

// start validates in and creates the scratch directory. The caller must call
// finish, which removes it.
func start(ctx context.Context, in Input) (*job, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if in.Root == "" || in.WorkDir == "" {
		return nil, errors.New("live: Root and WorkDir are required")
	}
	root, err := filepath.Abs(in.Root)
	if err != nil {
		return nil, fmt.Errorf("live: root: %w", err)
	}
	if st, err := os.Stat(root); err != nil {
		return nil, fmt.Errorf("live: root: %w", err)
	} else if !st.IsDir() {
		return nil, fmt.Errorf("live: root %s is not a directory", root)
	}
	if err := checkParams(in.KernelParams); err != nil {
		return nil, err
	}
	k, err := disk.FindKernel(root)
	if err != nil {
		return nil, fmt.Errorf("live: %w", err)
	}
	if k.Initrd == "" {
		return nil, fmt.Errorf("live: no /boot/initrd.img-%s in %s: a live boot needs live-boot's initramfs (install %v and run update-initramfs)", k.Version, root, Packages())
	}
	j := &job{in: in, root: root, version: k.Version, label: volumeID(in.Label), params: in.KernelParams}
	tree, err := treefs.Open(root)
	if err != nil {
		return nil, fmt.Errorf("live: %w", err)
	}
	defer tree.Close()
	// The tools are given these paths, so they must be the files themselves: a
	// symlink in a tree may be absolute and would then name a file of the host.
	if j.kernel, err = regularFile(tree, k.Image); err != nil {
		return nil, err
	}
	if j.initrd, err = regularFile(tree, k.Initrd); err != nil {
		return nil, err
	}
	if j.treeSize, err = treeSize(ctx, root); err != nil {
		return nil, err
	}
	workDir, err := filepath.Abs(in.WorkDir)
	if err != nil {
		return nil, fmt.Errorf("live: work directory: %w", err)
	}
	if j.scratch, err = os.MkdirTemp(workDir, "kiln-live-"); err != nil {
		return nil, fmt.Errorf("live: work directory: %w", err)
	}
	return j, nil
}

// finish removes everything the job staged.
func (j *job) finish() error {
	if err := os.RemoveAll(j.scratch); err != nil {
		return fmt.Errorf("live: remove %s: %w", j.scratch, err)
	}
	return nil
}

// report forwards progress, never claiming completion before the artifact is.
func (j *job) report(done int64, complete bool) {
	if j.in.Progress == nil {
		return
	}
	total := max(j.treeSize, 1)
	if complete {
		done = total
	} else {
		done = min(done, total-1)
	}
	j.in.Progress(done, total)
}

// regularFile returns the host path of the tree's regular file p, which
// neither is nor goes through a symlink: the host path then names that file.
func regularFile(tree *treefs.Root, p string) (string, error) {
	if err := tree.CheckNoLinks(p); err != nil {
		return "", fmt.Errorf("live: %w", err)
	}
	st, err := tree.Lstat(p)
	if err != nil {
		return "", fmt.Errorf("live: %w", err)
	}
	if !st.Mode().IsRegular() {
		return "", fmt.Errorf("live: %s in the tree is not a regular file", p)
	}
	return filepath.Join(tree.Dir(), p), nil
}

// treeSize is the apparent size of the tree's regular files that go into the
// squashfs: the scale of the progress reports (mksquashfs reports a fraction of
// its input).
func treeSize(ctx context.Context, root string) (int64, error) {
	var n int64
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() && filepath.Dir(p) == root && emptied[d.Name()] {
			return filepath.SkipDir
		}
		if d.Type().IsRegular() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("live: measure the tree: %w", err)
	}
	return n, nil
}
