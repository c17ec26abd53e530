package distro

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/kilnhq/kiln/internal/store"
)

// IndexerOptions tunes an Indexer; zero values pick the defaults.
type IndexerOptions struct {
	Client *http.Client     // default NewHTTPClient()
	Logger *slog.Logger     // default slog.Default()
	Now    func() time.Time // default time.Now
}

// Indexer reads distributions' package indexes from their mirror into the store.
type Indexer struct {
	pkgs    store.Packages
	mirrors *Mirrors
	client  *http.Client
	log     *slog.Logger
	now     func() time.Time
	// mu serialises refreshes: two concurrent ones of the same index would
	// download twice for the same result, and sequential ones keep memory flat.
	mu sync.Mutex
}

// NewIndexer returns an indexer writing to pkgs.
func NewIndexer(pkgs store.Packages, mirrors *Mirrors, opts IndexerOptions) *Indexer {
	ix := &Indexer{pkgs: pkgs, mirrors: mirrors, client: opts.Client, log: opts.Logger, now: opts.Now}
	if ix.client == nil {
		ix.client = NewHTTPClient()
	}
	if ix.log == nil {
		ix.log = slog.Default()
	}
	if ix.now == nil {
		ix.now = time.Now
	}
	return ix
}

// Refresh downloads the package lists of every suite of the distribution,
// merges them (one row per name, version and architecture) and replaces the
// distribution's index in the store in one go. A missing updates suite is
// logged and skipped; a missing release suite is an error. The previous index
// stays in place when anything fails.
func (ix *Indexer) Refresh(ctx context.Context, distID int64) error {
	d, ok := ByID(distID)
	if !ok {
		return fmt.Errorf("refresh packages of distribution %d: no such distribution", distID)
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	start := ix.now()
	seen := map[string]bool{}
	var pkgs []store.Package
	for i, src := range ix.mirrors.sources(d) {
		for _, comp := range src.Components {
			n, err := ix.readIndex(ctx, d, src, comp, seen, &pkgs)
			if errors.Is(err, errNoIndex) && i > 0 {
				ix.log.WarnContext(ctx, "suite has no package index, skipped", "distribution", d.Codename, "suite", src.Suite, "err", err)
				continue
			}
			if err != nil {
				return fmt.Errorf("refresh packages of Debian %s: %w", d.Version, err)
			}
			ix.log.DebugContext(ctx, "package index read", "suite", src.Suite, "component", comp, "packages", n)
		}
	}
	if len(pkgs) == 0 {
		return fmt.Errorf("refresh packages of Debian %s: the mirror lists no packages", d.Version)
	}
	if err := ix.pkgs.ReplacePackages(ctx, d.ID, pkgs, ix.now()); err != nil {
		return fmt.Errorf("store packages of Debian %s: %w", d.Version, err)
	}
	ix.log.InfoContext(ctx, "package index refreshed", "distribution", d.Codename, "mirror", ix.mirrors.URI(d.ID),
		"packages", len(pkgs), "took", ix.now().Sub(start).Round(time.Millisecond))
	return nil
}

// readIndex appends the packages of one suite/component not seen before.
func (ix *Indexer) readIndex(ctx context.Context, d Distribution, src Source, comp string, seen map[string]bool, pkgs *[]store.Package) (int, error) {
	body, url, err := openIndex(ctx, ix.client, src, comp, d.DebArch)
	if err != nil {
		return 0, err
	}
	defer body.Close()
	n := 0
	err = ParsePackages(body, func(e Entry) error {
		key := e.Package + "\x00" + e.Version + "\x00" + e.Architecture
		if seen[key] {
			return nil
		}
		seen[key] = true
		n++
		*pkgs = append(*pkgs, store.Package{
			DistributionID: d.ID, Name: e.Package, Version: e.Version, Arch: e.Architecture,
			Section: e.Section, Size: e.InstalledSize, Filename: e.Filename,
		})
		return nil
	})
	if err != nil {
		return n, fmt.Errorf("%s: %w", url, err)
	}
	return n, nil
}

// EnsureFresh refreshes every distribution whose index is empty or older than
// maxAge, one after the other, and returns the joined errors of those that
// failed (the others are refreshed regardless). The server runs it in the
// background at start.
func (ix *Indexer) EnsureFresh(ctx context.Context, maxAge time.Duration) error {
	var errs []error
	for _, d := range All() {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("ensure fresh package indexes: %w", err)
		}
		count, refreshed, err := ix.pkgs.PackageIndex(ctx, d.ID)
		if err != nil {
			errs = append(errs, fmt.Errorf("package index of Debian %s: %w", d.Version, err))
			continue
		}
		if count > 0 && ix.now().Sub(refreshed) <= maxAge {
			continue
		}
		if err := ix.Refresh(ctx, d.ID); err != nil {
			ix.log.ErrorContext(ctx, "package index refresh failed", "distribution", d.Codename, "err", err)
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
