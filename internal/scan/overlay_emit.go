package scan

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/kilnhq/kiln/internal/record"
)

// emitter hands the walked items to the caller in walk order, waiting for each
// one's hashing, and keeps the counts.
type emitter struct {
	fn     func(Entry) error
	onSkip func(string, error)
	log    *slog.Logger
	stats  record.OverlayStats
	// links remembers the emitted files with more than one link, so the next
	// path to the same inode becomes a hard link to the first. Only overlay files
	// are kept: a few on any real system.
	links map[fileID]*Entry
}

func (e *emitter) run(ctx context.Context, order <-chan *item) error {
	for it := range order {
		if it.done != nil {
			select {
			case <-it.done:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if it.skipErr != nil {
			// A cancelled hash is not a skipped file: stop instead.
			if err := ctx.Err(); err != nil {
				return err
			}
			e.stats.Skipped++
			e.log.Warn("scan: entry skipped", "path", it.e.Path, "err", it.skipErr)
			if e.onSkip != nil {
				e.onSkip(it.e.Path, it.skipErr)
			}
			continue
		}
		if it.drop {
			continue
		}
		if it.e.Kind == KindFile && it.nlink > 1 {
			if first, ok := e.links[it.id]; ok {
				it.e.Kind, it.e.LinkTarget, it.e.SHA256 = KindHardlink, first.Path, first.SHA256
			} else {
				first := it.e
				e.links[it.id] = &first
			}
		}
		e.stats.Entries++
		if it.e.Kind == KindFile {
			e.stats.Files++
			e.stats.Bytes += it.e.Size
		}
		if it.e.Reason == ReasonModified {
			e.stats.Modified++
		} else {
			e.stats.Added++
		}
		if err := e.fn(it.e); err != nil {
			return fmt.Errorf("overlay entry %q: %w", it.e.Path, err)
		}
	}
	return ctx.Err()
}
