package build

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/kilnhq/kiln/internal/plan"
)

// DefaultMinFree is the space a generation leaves free beyond its own needs
// when Config.MinFreeBytes is zero: room for the database, logs and caches,
// which must never be the ones to find the disk full.
const DefaultMinFree = 2 << 30

// FS describes the filesystem a directory is on.
type FS struct {
	Free   int64  // bytes an unprivileged writer may still use
	Device uint64 // tells two directories on one filesystem apart from two on two
}

// statFS reads the filesystem of dir, or of its nearest existing parent
// (the work directory is made on demand).
func statFS(dir string) (FS, error) {
	for {
		var st syscall.Statfs_t
		err := syscall.Statfs(dir, &st)
		if errors.Is(err, fs.ErrNotExist) && filepath.Dir(dir) != dir {
			dir = filepath.Dir(dir)
			continue
		}
		if err != nil {
			return FS{}, fmt.Errorf("free space of %s: %w", dir, err)
		}
		info, err := os.Stat(dir)
		if err != nil {
			return FS{}, fmt.Errorf("free space of %s: %w", dir, err)
		}
		var dev uint64
		if s, ok := info.Sys().(*syscall.Stat_t); ok {
			dev = uint64(s.Dev)
		}
		return FS{Free: int64(st.Bavail) * st.Bsize, Device: dev}, nil
	}
}

// Sized is an engine that says how much a generation of p may write on the
// work filesystem at most. An engine without it is taken to write what the
// real one does (diskNeed).
type Sized interface {
	DiskNeed(p *plan.Plan) int64
}

// diskNeed is what internal/generate may write for p: the tree, the raw disk
// and the converted file are each bounded by the disk's size, and written
// sparse, so the disk size stands for all three (formats without a disk
// still build a tree of the planned size).
func diskNeed(p *plan.Plan) int64 {
	if p.Disk != nil && p.Disk.Size > 0 {
		return p.Disk.Size
	}
	return p.Spec.Install.Disk.SizeMB << 20
}

// need is what the runner's engine may write for p.
func (r *Runner) need(p *plan.Plan) int64 {
	if s, ok := r.engine.(Sized); ok {
		return s.DiskNeed(p)
	}
	return diskNeed(p)
}

// checkSpace refuses a generation that needs more than the work and cache
// filesystems have, keeping minFree free on each, with what is already
// promised to the generations running on this node. A refusal says how much
// is missing where, and what to do about it.
func (r *Runner) checkSpace(p *plan.Plan) (release func(), err error) {
	want := r.need(p)
	r.spaceMu.Lock()
	defer r.spaceMu.Unlock()
	work, err := r.statFS(r.workDir)
	if err != nil {
		return nil, err
	}
	if miss := want + r.promised + r.minFree - work.Free; miss > 0 {
		return nil, fmt.Errorf("not enough free disk space: the generation needs %s on %s (a %s disk, %s for the generations running, %s kept free) but %s are free; free space on the build host or ask for a smaller disk",
			gib(want+r.promised+r.minFree), r.workDir, gib(want), gib(r.promised), gib(r.minFree), gib(work.Free))
	}
	if r.cacheDir != "" {
		cache, err := r.statFS(r.cacheDir)
		if err != nil {
			return nil, err
		}
		if cache.Device != work.Device && cache.Free < r.minFree {
			return nil, fmt.Errorf("not enough free disk space: the package cache %s has %s free, less than the %s kept free; free space there or lower --cache-max-gb",
				r.cacheDir, gib(cache.Free), gib(r.minFree))
		}
	}
	r.promised += want
	return func() {
		r.spaceMu.Lock()
		defer r.spaceMu.Unlock()
		r.promised -= want
	}, nil
}

func gib(n int64) string { return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30)) }
