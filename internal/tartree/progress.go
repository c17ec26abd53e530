package tartree

import (
	"context"
	"fmt"
	"io/fs"

	"golang.org/x/sys/unix"
)

// progressStep bounds how often Progress is called: a root filesystem has
// tens of thousands of small files and the callback may take a lock or write
// a status row.
const progressStep = 4 << 20

type progress struct {
	fn       func(done, total int64)
	total    int64
	reported int64
}

func (p *progress) report(done int64, force bool) {
	if !force && done-p.reported < progressStep {
		return
	}
	p.reported = done
	total := p.total
	if done > total {
		total = done // the tree grew since it was measured
	}
	p.fn(done, total)
}

// measure sums the sizes of the regular files Write would copy, counting
// each multiply linked inode once. It reads metadata only, which is cheap
// next to the copy it announces.
func measure(ctx context.Context, root string, opts Options) (int64, error) {
	var total int64
	seen := make(map[inode]struct{})
	err := walk(ctx, root, opts.Exclude, func(_ context.Context, _, abs string, d fs.DirEntry) error {
		if !d.Type().IsRegular() {
			return nil
		}
		var st unix.Stat_t
		if err := unix.Lstat(abs, &st); err != nil {
			return fmt.Errorf("stat %s: %w", abs, err)
		}
		if st.Nlink > 1 {
			key := inode{dev: st.Dev, ino: st.Ino}
			if _, ok := seen[key]; ok {
				return nil
			}
			seen[key] = struct{}{}
		}
		total += st.Size
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("measure tree %s: %w", root, err)
	}
	return total, nil
}
