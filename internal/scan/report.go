package scan

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/kilnhq/kiln/internal/record"
)

// InventoryOptions tunes Inventory.
type InventoryOptions struct {
	AgentVersion string
	Now          func() time.Time // default time.Now
	Logger       *slog.Logger
}

// Inventory describes the system at root: distribution, installed packages and
// install profile. It fails when the system is not one Kiln can rebuild (the
// error wraps ErrUnsupported and says why) or its dpkg database is unreadable;
// lesser problems become the report's Warnings.
func Inventory(ctx context.Context, root string, opts InventoryOptions) (*record.ScanReport, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	t, err := newTree(root)
	if err != nil {
		return nil, fmt.Errorf("inventory: %w", err)
	}
	r := &record.ScanReport{AgentVersion: opts.AgentVersion, ScannedAt: now().UTC(), Root: t.root, Live: t.live}
	if r.Distribution, err = detectDistribution(ctx, t); err != nil {
		return nil, fmt.Errorf("inventory: %w", err)
	}
	if r.Packages, err = listPackages(ctx, t); err != nil {
		return nil, fmt.Errorf("inventory: %w", err)
	}
	if len(r.Packages) == 0 {
		return nil, fmt.Errorf("inventory: no installed package in %s", dpkgStatusPath)
	}
	var n notes
	if r.Profile, err = readProfile(ctx, t, &n); err != nil {
		return nil, fmt.Errorf("inventory: %w", err)
	}
	r.Hostname = r.Profile.Hostname
	r.Warnings = n.list
	for _, w := range r.Warnings {
		log.Warn("scan: inventory", "warning", w)
	}
	return r, nil
}
