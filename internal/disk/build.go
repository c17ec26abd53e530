// Package disk turns a configured root tree into a raw, hybrid BIOS+UEFI
// bootable disk image: GPT layout, ext4/FAT32/swap filesystems written at their
// offsets into a sparse file, and GRUB embedded for both firmwares, without
// loop devices or mounts. See README.md for the layout and what needs root.
package disk

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/kilnhq/kiln/internal/run"
	"github.com/kilnhq/kiln/internal/spec"
	"github.com/kilnhq/kiln/internal/treefs"
)

// Options is the input of Build.
type Options struct {
	// RootDir is the configured root tree. Build writes /etc/fstab and
	// /boot/grub/grub.cfg into it and creates the mount point directories;
	// extra mount points' subtrees are moved out and back during the build.
	RootDir string
	// Layout is the planned disk (internal/plan stores it with the image). When
	// nil, Build plans Disk itself with identifiers from Rand.
	Layout       *Layout
	Disk         spec.Disk // sizes in MiB; read only when Layout is nil
	KernelParams []string  // appended to the kernel command line, one word each
	Output       string    // raw image path, created sparse (replaced if it exists)
	// Progress, when set, receives 0–100 and a short message.
	Progress func(pct int, msg string)
	// Rand is the source of UUIDs; nil means crypto/rand. Tests pass a seeded reader.
	Rand io.Reader
	// Logger; nil means slog.Default().
	Logger *slog.Logger
	// GrubTimeoutSec is the menu timeout; 0 means 1 second.
	GrubTimeoutSec int
}

// Result describes the image written.
type Result struct {
	Layout
	Kernel Kernel
}

// Build writes the image. On error or cancellation the output file is removed
// and the root tree's moved subtrees are put back.
func Build(ctx context.Context, opts Options) (res *Result, err error) {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	progress := opts.Progress
	if progress == nil {
		progress = func(int, string) {}
	}
	rnd := opts.Rand
	if rnd == nil {
		rnd = rand.Reader
	}
	if opts.Output == "" || opts.RootDir == "" {
		return nil, errors.New("disk build: RootDir and Output are required")
	}
	if st, err := os.Stat(opts.RootDir); err != nil {
		return nil, fmt.Errorf("disk build: root tree: %w", err)
	} else if !st.IsDir() {
		return nil, fmt.Errorf("disk build: root tree %q is not a directory", opts.RootDir)
	}

	layout := opts.Layout
	if layout == nil {
		progress(0, "planning disk layout")
		var err error
		if layout, err = Plan(opts.Disk, rnd); err != nil {
			return nil, err
		}
	}
	tree, err := treefs.Open(opts.RootDir)
	if err != nil {
		return nil, fmt.Errorf("disk build: %w", err)
	}
	defer tree.Close()
	// Before anything is written: a mount point through a link is refused.
	if err := checkMounts(tree, dataMounts(layout)); err != nil {
		return nil, fmt.Errorf("disk build: %w", err)
	}
	kernel, err := findKernel(tree)
	if err != nil {
		return nil, fmt.Errorf("disk build: %w", err)
	}
	root := layout.Root()
	timeout := opts.GrubTimeoutSec
	if timeout == 0 {
		timeout = 1
	}
	if err := writeTreeFiles(tree, layout, GrubConfig{
		Title: osTitle(tree), RootUUID: root.UUID,
		Kernel: kernel.Image, Initrd: kernel.Initrd,
		KernelParams: opts.KernelParams, TimeoutSec: timeout,
	}); err != nil {
		return nil, err
	}

	tmpDir, err := os.MkdirTemp("", "kiln-disk-")
	if err != nil {
		return nil, fmt.Errorf("disk build: temporary directory: %w", err)
	}
	defer os.RemoveAll(tmpDir)
	earlyCfg := filepath.Join(tmpDir, "early.cfg")
	if err := os.WriteFile(earlyCfg, []byte(EarlyConfig(root.UUID)), 0o644); err != nil {
		return nil, fmt.Errorf("disk build: write early config: %w", err)
	}

	img, err := os.OpenFile(opts.Output, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("disk build: create image: %w", err)
	}
	defer func() {
		if cerr := img.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("disk build: close image: %w", cerr)
		}
		if err != nil {
			_ = os.Remove(opts.Output)
			res = nil
		}
	}()
	// Truncate makes the whole disk one hole: nothing below ever writes zeros.
	if err := img.Truncate(layout.Size); err != nil {
		return nil, fmt.Errorf("disk build: size image: %w", err)
	}
	progress(2, "writing GPT")
	if err := writeGPT(img, layout); err != nil {
		return nil, fmt.Errorf("disk build: %w", err)
	}

	// The bootloaders (grub-mkimage ×2, mkfs.vfat, mtools) run next to the
	// filesystem writers: they touch other regions of the file, and the 2 cores
	// would otherwise idle while mke2fs waits on I/O.
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	var bootErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := installEFI(ctx, opts.Output, *layout.ESP(), earlyCfg, tmpDir); err != nil {
			bootErr = err
			cancel()
			return
		}
		if err := installBIOS(ctx, img, *layout.BIOSBoot(), earlyCfg, tmpDir); err != nil {
			bootErr = err
			cancel()
		}
	}()
	fsErr := makeFilesystems(ctx, img, opts.Output, tree, layout, progress, log)
	if fsErr != nil {
		cancel()
	}
	wg.Wait()
	// When one side fails, the other is cancelled: report only the cause.
	if parent.Err() == nil {
		if fsErr != nil && run.IsCanceled(bootErr) {
			bootErr = nil
		}
		if bootErr != nil && run.IsCanceled(fsErr) {
			fsErr = nil
		}
	}
	if err := errors.Join(fsErr, bootErr); err != nil {
		return nil, fmt.Errorf("disk build: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("disk build: %w", err)
	}
	progress(100, "disk image written")
	log.InfoContext(ctx, "disk image written", "output", opts.Output, "sizeMB", layout.Size/MiB, "kernel", kernel.Version, "root", root.UUID)
	return &Result{Layout: *layout, Kernel: kernel}, nil
}

// makeFilesystems writes every partition's filesystem: extra mount points from
// their detached subtrees, then root from the tree, then swap headers.
func makeFilesystems(ctx context.Context, img *os.File, imgPath string, tree *treefs.Root, l *Layout, progress func(int, string), log *slog.Logger) (err error) {
	det, err := detachMounts(tree, dataMounts(l))
	defer func() {
		if det != nil {
			if rerr := det.restore(); rerr != nil {
				err = errors.Join(err, fmt.Errorf("restore root tree: %w", rerr))
			}
		}
	}()
	if err != nil {
		return err
	}
	pct := 5
	for _, p := range l.Partitions {
		if p.Role != RoleData {
			continue
		}
		progress(pct, "writing "+p.MountPoint+" filesystem")
		if err := makeExt(ctx, imgPath, p, det.source(p.MountPoint)); err != nil {
			return err
		}
		pct += 5
	}
	start := min(pct, 40)
	progress(start, "writing root filesystem")
	watchCtx, stopWatch := context.WithCancel(ctx)
	watched := make(chan struct{})
	base := allocated(imgPath)
	go func() {
		defer close(watched)
		watchAllocation(watchCtx, imgPath, base, treeBytes(tree.Dir()), start, 89, "writing root filesystem", progress)
	}()
	err = makeExt(ctx, imgPath, *l.Root(), tree.Dir())
	stopWatch()
	<-watched // no progress call may follow the next one, nor run concurrently with it
	if err != nil {
		return err
	}
	log.DebugContext(ctx, "root filesystem written", "uuid", l.Root().UUID)
	progress(90, "writing swap")
	for _, p := range l.Partitions {
		if p.Role == RoleSwap {
			if err := writeSwap(img, p); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeTreeFiles writes /etc/fstab and /boot/grub/grub.cfg into the root tree
// and creates /boot/efi, before the filesystems are made from it. A file is
// replaced, never written through: the tree's may be a symlink.
func writeTreeFiles(tree *treefs.Root, l *Layout, g GrubConfig) error {
	for _, d := range []string{"/etc", "/boot/grub", "/boot/efi"} {
		if err := tree.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("disk build: create %s: %w", d, err)
		}
	}
	files := []struct {
		path, data string
	}{
		{"/etc/fstab", Fstab(l)},
		{"/boot/grub/grub.cfg", GrubCfg(g)},
	}
	for _, f := range files {
		if err := tree.WriteFile(f.path, []byte(f.data), 0o644); err != nil {
			return fmt.Errorf("disk build: %w", err)
		}
	}
	return nil
}
