package scan

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// Report is the inventory of one scanned system: what the agent uploads as the
// scan report. The overlay is streamed separately; its counts are recorded in
// Overlay by the caller once it has streamed it.
type Report struct {
	AgentVersion string        `json:"agentVersion,omitempty"`
	ScannedAt    time.Time     `json:"scannedAt"`
	Root         string        `json:"root"` // the scanned root on the agent's host
	Live         bool          `json:"live"` // root was "/": the running system
	Hostname     string        `json:"hostname,omitempty"`
	Distribution Distribution  `json:"distribution"`
	Packages     []Package     `json:"packages"`
	Profile      Profile       `json:"profile"`
	Overlay      *OverlayStats `json:"overlay,omitempty"`
	// Warnings are the parts of the system the scan could not read or
	// understand (an unreadable shadow, an odd fstab line): the report is
	// complete except for them.
	Warnings []string `json:"warnings,omitempty"`
}

// InventoryOptions tunes Inventory.
type InventoryOptions struct {
	AgentVersion string
	Now          func() time.Time // default time.Now
	Logger       *slog.Logger
}

// Inventory describes the system at root: distribution, installed packages and
// install profile. It fails when the system is not one Kiln can rebuild (the
// error wraps ErrUnsupported and says why) or its dpkg database is unreadable;
// lesser problems become Report.Warnings.
func Inventory(ctx context.Context, root string, opts InventoryOptions) (*Report, error) {
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
	r := &Report{AgentVersion: opts.AgentVersion, ScannedAt: now().UTC(), Root: t.root, Live: t.live}
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
