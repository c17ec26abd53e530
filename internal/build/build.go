// Package build runs generation jobs: for one image id it reads the stored
// build spec, has the engine execute it in a workspace of its own, reports
// progress to the store (and stops when the image turns terminal), stores the
// artifact and records what the image holds. It also settles images whose
// job ended without the runner doing so (Reconciler).
//
// It is the queue's job handler and needs nothing of the use cases
// (internal/service): a worker node runs it with a store, an artifact store
// and an engine only.
package build

import (
	"context"
	"log/slog"
	"sync"

	"github.com/kilnhq/kiln/internal/generate"
	"github.com/kilnhq/kiln/internal/plan"
	"github.com/kilnhq/kiln/internal/store"
)

// Store is the part of the store that generation jobs read and write.
type Store interface {
	GetImage(ctx context.Context, id int64) (*store.Image, error)
	ListImages(ctx context.Context, f store.ImageFilter) ([]store.Image, error)
	ImageProgress(ctx context.Context, id int64, percentage int, message string) (bool, error)
	FinishImage(ctx context.Context, id int64, o store.ImageOutcome) (bool, error)
}

// Artifacts stores finished images (internal/artifact).
type Artifacts interface {
	// PutFile moves a finished file in; sha256 is passed when already known.
	PutFile(ctx context.Context, key, path, sha256 string) (size int64, sum string, err error)
	Delete(ctx context.Context, key string) error
}

// Engine executes a plan (internal/generate's Engine; tests use stand-ins).
type Engine interface {
	Run(ctx context.Context, p *plan.Plan, outDir string, progress generate.Progress) (*generate.Result, error)
}

// Config holds what a Runner needs besides its store, artifacts and engine.
type Config struct {
	// WorkDir is where a build's artifact waits before it is stored: the
	// engine's work directory, so that a crashed build's leftovers are removed
	// with the engine's own (generate.Workspace).
	WorkDir string
	// CacheDir is the engine's package and base cache ("" when it has none).
	CacheDir string
	// MinFreeBytes is what a generation must leave free on the work and
	// cache filesystems beyond its own needs (0: DefaultMinFree).
	MinFreeBytes int64
	// StatFS reads a directory's filesystem (nil: statfs(2)); tests fill disks with it.
	StatFS func(dir string) (FS, error)
	Logger *slog.Logger
}

// Runner runs generation jobs.
type Runner struct {
	store     Store
	artifacts Artifacts
	engine    Engine
	workDir   string
	cacheDir  string
	minFree   int64
	statFS    func(string) (FS, error)
	log       *slog.Logger

	spaceMu  sync.Mutex
	promised int64 // disk space the generations running here may still take
}

// NewRunner returns a Runner; its Run is the queue's job handler.
func NewRunner(st Store, arts Artifacts, eng Engine, cfg Config) *Runner {
	r := &Runner{store: st, artifacts: arts, engine: eng, workDir: cfg.WorkDir, cacheDir: cfg.CacheDir,
		minFree: cfg.MinFreeBytes, statFS: cfg.StatFS, log: orDefault(cfg.Logger)}
	if r.minFree <= 0 {
		r.minFree = DefaultMinFree
	}
	if r.statFS == nil {
		r.statFS = statFS
	}
	return r
}

func orDefault(log *slog.Logger) *slog.Logger {
	if log == nil {
		return slog.Default()
	}
	return log
}
