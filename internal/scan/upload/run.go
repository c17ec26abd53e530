package upload

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/kilnhq/kiln/internal/client"
	"github.com/kilnhq/kiln/internal/record"
	"github.com/kilnhq/kiln/internal/scan"
	"github.com/kilnhq/kiln/internal/uforge"
)

// Options is one run of the scan agent (`kiln scan`).
type Options struct {
	Client  *client.Client
	User    string   // owner of the scanned instance ({uid} in the paths)
	Name    string   // scanned instance; an existing one groups the new scan
	Root    string   // the scanned system; default "/" (the running one)
	Overlay bool     // -o: archive every added and modified entry
	Exclude []string // -e: absolute paths left out
	TempDir string   // -t: only checked for free space; nothing is staged
	// VerifyAll reads every package file, even those whose inode has not
	// changed since dpkg installed them (scan.OverlayOptions.VerifyAll).
	VerifyAll bool

	AgentVersion string
	ChunkSize    int           // default DefaultChunkSize
	MaxRetryTime time.Duration // per chunk; default DefaultMaxRetryTime
	RetryWait    time.Duration // first backoff of the uploader; default 1s

	// Progress receives a line at most every ProgressInterval (default 1s)
	// while the overlay is sent, and a last one; nil for none.
	Progress         io.Writer
	ProgressInterval time.Duration
	Logger           *slog.Logger
}

// Result is what a successful run did.
type Result struct {
	InstanceID, ScanID int64
	Created            bool // the scanned instance was created by this run
	Overlay            Stats
	Size               int64  // bytes of the overlay archive
	SHA256             string // hex, of the overlay archive
}

// Run scans the system at o.Root and sends the scan: local preflight checks,
// inventory, the scanned instance found or created, the report uploaded as a
// new scan, then the overlay uploaded in one stream as it is archived (the
// archiving starts with the inventory, and waits for the scan to send).
func Run(ctx context.Context, o Options) (*Result, error) {
	if o.Client == nil || o.User == "" || o.Name == "" {
		return nil, errors.New("scan: a client, a user and an instance name are required")
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	root := o.Root
	if root == "" {
		root = "/"
	}
	checks, err := scan.Preflight(ctx, root, scan.PreflightOptions{TempDir: o.TempDir})
	if err != nil {
		return nil, err // names the failed checks
	}
	for _, c := range checks {
		if !c.OK {
			log.Warn("scan: preflight", "check", c.Name, "detail", c.Detail)
		}
	}

	// The overlay's archive does not depend on the scan it goes to: it is
	// started now, and fills the upload's chunk buffers while the inventory
	// is taken and the report sent (the package index and the first part of
	// the walk overlap those round trips); sending starts once the scan exists.
	p := newProgress(o.Progress, o.ProgressInterval)
	up := &Uploader{
		Client: o.Client, User: o.User,
		ChunkSize: o.ChunkSize, MaxRetryTime: o.MaxRetryTime, RetryWait: o.RetryWait,
		Progress: p.sent, Logger: log,
	}
	overlay := startOverlay(ctx, root,
		OverlayOptions{Exclude: o.Exclude, All: o.Overlay, VerifyAll: o.VerifyAll, Progress: p.archived, Logger: log}, up)
	res, err := sendReport(ctx, o, root, log)
	if err != nil {
		overlay.abort()
		return nil, err
	}
	up.InstanceID, up.ScanID = res.InstanceID, res.ScanID
	res.Overlay, res.Size, res.SHA256, err = overlay.send(ctx, up)
	p.finish(err == nil)
	if err != nil {
		return nil, fmt.Errorf("scan %d of instance %d: overlay: %w", res.ScanID, res.InstanceID, err)
	}
	return res, nil
}

// sendReport takes the inventory of root and sends it as a new scan of the
// scanned instance o.Name, created if needed.
func sendReport(ctx context.Context, o Options, root string, log *slog.Logger) (*Result, error) {
	report, err := scan.Inventory(ctx, root, scan.InventoryOptions{AgentVersion: o.AgentVersion, Logger: log})
	if err != nil {
		return nil, err
	}
	res := &Result{}
	if res.InstanceID, res.Created, err = findOrCreateInstance(ctx, o, report.Distribution, log); err != nil {
		return nil, err
	}
	body, err := json.Marshal(report)
	if err != nil {
		return nil, fmt.Errorf("scan report: %w", err)
	}
	sc, err := o.Client.CreateScan(ctx, o.User, res.InstanceID, body)
	if err != nil {
		return nil, fmt.Errorf("upload the scan report: %w", err)
	}
	if res.ScanID, err = client.ID("scan", sc.DBID); err != nil {
		return nil, err
	}
	log.Info("scan: report sent", "instance", res.InstanceID, "scan", res.ScanID, "packages", len(report.Packages))
	return res, nil
}

// findOrCreateInstance returns the id of the scanned instance o.Name, created
// if needed. Like hammr, it refuses to mix scans with and without overlay in
// one instance: the server would rebuild from inconsistent archives.
func findOrCreateInstance(ctx context.Context, o Options, d record.ScanDistribution, log *slog.Logger) (id int64, created bool, err error) {
	si, err := o.Client.FindScannedInstance(ctx, o.User, o.Name)
	if err != nil {
		return 0, false, fmt.Errorf("find scanned instance %q: %w", o.Name, err)
	}
	if si != nil {
		if uforge.BoolValue(si.OverlayIncluded) != o.Overlay {
			kind := "regular scan"
			if o.Overlay {
				kind = "scan with overlay"
			}
			return 0, false, fmt.Errorf("Performing %s into the scanned instance [%s] is not allowed", kind, o.Name)
		}
		id, err = client.ID("scanned instance", si.DBID)
		return id, false, err
	}
	si, err = o.Client.CreateScannedInstance(ctx, o.User, &uforge.ScannedInstance{
		Name: uforge.Str(o.Name), Distribution: wireDistribution(d, log), OverlayIncluded: uforge.Bool(o.Overlay),
	})
	if err != nil {
		return 0, false, fmt.Errorf("create scanned instance %q: %w", o.Name, err)
	}
	id, err = client.ID("scanned instance", si.DBID)
	return id, true, err
}

// wireDistribution is the scanned distribution as uforge.xsd spells it: name
// and arch are enumerations there, so a value it lacks is left out rather than
// sent and rejected.
func wireDistribution(d record.ScanDistribution, log *slog.Logger) *uforge.Distribution {
	out := &uforge.Distribution{Version: uforge.Str(d.VersionID)}
	names := map[string]string{"debian": "Debian", "ubuntu": "Ubuntu"}
	if n, ok := names[d.ID]; ok {
		out.Name = uforge.Str(n)
	} else {
		log.Warn("scan: distribution name unknown to UForge, not sent", "id", d.ID)
	}
	arches := map[string]string{"amd64": "x86_64", "i386": "i686"}
	if a, ok := arches[d.Arch]; ok {
		out.Arch = uforge.Str(a)
	} else {
		log.Warn("scan: architecture unknown to UForge, not sent", "arch", d.Arch)
	}
	return out
}
