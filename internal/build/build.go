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
	Logger  *slog.Logger
}

// Runner runs generation jobs.
type Runner struct {
	store     Store
	artifacts Artifacts
	engine    Engine
	workDir   string
	log       *slog.Logger
}

// NewRunner returns a Runner; its Run is the queue's job handler.
func NewRunner(st Store, arts Artifacts, eng Engine, cfg Config) *Runner {
	return &Runner{store: st, artifacts: arts, engine: eng, workDir: cfg.WorkDir, log: orDefault(cfg.Logger)}
}

func orDefault(log *slog.Logger) *slog.Logger {
	if log == nil {
		return slog.Default()
	}
	return log
}
