package disk

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// treeBytes estimates the data mke2fs -d will write: the sum of regular file
// sizes, rounded up to 4 KiB blocks. Errors only make the estimate smaller.
func treeBytes(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return nil
		}
		if info, err := d.Info(); err == nil {
			n += (info.Size() + 4095) &^ 4095
		}
		return nil
	})
	return n
}

// watchAllocation reports progress from lo to hi while a tool fills the image:
// the file's allocated bytes grow from base towards base+expect, since nothing
// but data is ever written into the sparse file. It stops when ctx ends.
func watchAllocation(ctx context.Context, path string, base, expect int64, lo, hi int, msg string, progress func(int, string)) {
	if expect <= 0 {
		return
	}
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	last := lo
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		a := allocated(path) - base
		pct := lo + int(float64(hi-lo)*min(1, float64(a)/float64(expect)))
		if pct > last {
			last = pct
			progress(pct, msg)
		}
	}
}

// allocated returns the bytes the file occupies on disk (0 if unknown).
func allocated(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		return sys.Blocks * 512
	}
	return 0
}
