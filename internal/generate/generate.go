// Package generate runs a build spec through the image pipeline: bootstrap the
// root filesystem (cached), configure it from the install profile, lay out the
// disk with its bootloaders, convert it to the target format, and checksum the
// result. Progress is reported as one overall percentage with the stage and a
// message; cancelling the context stops every child process and removes every
// temporary file.
package generate

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/kilnhq/kiln/internal/distro"
	"github.com/kilnhq/kiln/internal/record"
	"github.com/kilnhq/kiln/internal/rootfs"
)

// Stage names a step of the pipeline.
type Stage string

const (
	StageRootfs    Stage = "rootfs"
	StageConfigure Stage = "configure"
	StageOverlay   Stage = "overlay" // scan images only
	StageDisk      Stage = "disk"
	StageConvert   Stage = "convert"
	StageChecksum  Stage = "checksum"
	StageDone      Stage = "done"
)

// stageSpan is each stage's share of the overall percentage. The root
// filesystem dominates a cold build; the rest are seconds.
var stageSpan = map[Stage][2]int{
	StageRootfs:    {0, 55},
	StageConfigure: {55, 58},
	StageOverlay:   {58, 62},
	StageDisk:      {62, 85},
	StageConvert:   {85, 97},
	StageChecksum:  {97, 100},
}

// Update is one progress report.
type Update struct {
	Stage   Stage
	Percent int // overall, 0–100
	Message string
}

// Progress receives updates; it must be quick.
type Progress func(Update)

// Config holds what an Engine needs besides a spec.
type Config struct {
	CacheDir      string // rootfs caches (packages, bases)
	CacheMaxBytes int64  // size cap of CacheDir, least recently used evicted
	WorkDir       string // temporary trees and raw disks; one subdirectory per build
	Mirrors       *distro.Mirrors
	Overlays      Overlays // scans' overlay archives; nil where no scan images are built
	Logger        *slog.Logger
}

// Engine runs builds. It is safe for concurrent use.
type Engine struct {
	cfg    Config
	rootfs *rootfs.Builder
	log    *slog.Logger
}

// New prepares an engine and its directories.
func New(cfg Config) (*Engine, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Mirrors == nil {
		return nil, errors.New("generate: no mirrors configured")
	}
	if cfg.CacheMaxBytes <= 0 {
		cfg.CacheMaxBytes = 20 << 30
	}
	if err := os.MkdirAll(cfg.WorkDir, 0o700); err != nil {
		return nil, fmt.Errorf("generate: work directory: %w", err)
	}
	if err := hideFromGoTool(cfg.WorkDir); err != nil {
		return nil, fmt.Errorf("generate: work directory: %w", err)
	}
	removeStale(cfg.WorkDir, cfg.Logger)
	rb, err := rootfs.New(cfg.CacheDir, cfg.CacheMaxBytes, cfg.Logger)
	if err != nil {
		return nil, fmt.Errorf("generate: %w", err)
	}
	if cfg.CacheDir != "" {
		if err := hideFromGoTool(cfg.CacheDir); err != nil {
			return nil, fmt.Errorf("generate: cache directory: %w", err)
		}
	}
	return &Engine{cfg: cfg, rootfs: rb, log: cfg.Logger}, nil
}

// Result is what a build produced.
type Result struct {
	Path     string // the artifact
	Format   string // primitive format of the artifact ("qcow2", "raw")
	Size     int64  // bytes of the artifact file
	SHA256   string
	Packages []record.InstalledPackage
	CacheHit bool             // the bootstrapped base came from the cache
	Fidelity *record.Fidelity // scan images: the source compared with the image
	Timings  map[Stage]time.Duration
}

// reporter turns per-stage percentages into overall ones, never going backwards.
type reporter struct {
	fn   Progress
	last int
}

func (r *reporter) stage(s Stage) func(pct int, msg string) {
	span := stageSpan[s]
	return func(pct int, msg string) {
		pct = max(0, min(100, pct))
		overall := span[0] + (span[1]-span[0])*pct/100
		if overall < r.last {
			overall = r.last
		}
		r.last = overall
		if r.fn != nil {
			r.fn(Update{Stage: s, Percent: overall, Message: msg})
		}
	}
}

// workspace creates this build's private directory under WorkDir.
func (e *Engine) workspace() (string, error) { return Workspace(e.cfg.WorkDir, "") }

// Workspace creates a private directory under workDir for one build (label,
// when given, says whose: "image-12"). Its name carries the PID so that a
// later engine can tell a crashed build's leftovers from a live one's
// (removeStale): callers that keep files beside a build, such as its
// artifact before it is stored, make their directory here.
func Workspace(workDir, label string) (string, error) {
	if err := os.MkdirAll(workDir, 0o700); err != nil {
		return "", fmt.Errorf("generate: work directory: %w", err)
	}
	prefix := fmt.Sprintf("build-%d-", os.Getpid())
	if label != "" {
		prefix += label + "-"
	}
	dir, err := os.MkdirTemp(workDir, prefix)
	if err != nil {
		return "", fmt.Errorf("generate: workspace: %w", err)
	}
	return dir, nil
}

// removeStale deletes the workspaces of builds whose process is gone (a crash,
// kill -9): nothing else would ever remove them.
func removeStale(workDir string, log *slog.Logger) {
	entries, err := os.ReadDir(workDir)
	if err != nil {
		return
	}
	for _, e := range entries {
		var pid int
		if _, err := fmt.Sscanf(e.Name(), "build-%d-", &pid); err != nil || pid <= 0 || pid == os.Getpid() {
			continue
		}
		if syscall.Kill(pid, 0) == syscall.ESRCH {
			dir := filepath.Join(workDir, e.Name())
			if err := os.RemoveAll(dir); err != nil {
				log.Warn("could not remove a crashed build's workspace", "dir", dir, "err", err)
			} else {
				log.Info("removed a crashed build's workspace", "dir", dir)
			}
		}
	}
}
