// Package app assembles a Kiln node from its parts: the store, the use cases,
// the durable queue with its workers, the artifact store, the image engine and
// the HTTP API. `kiln serve`, `kiln worker` and the end-to-end tests all start
// nodes through it, so they run the same wiring.
package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/kilnhq/kiln/internal/api"
	"github.com/kilnhq/kiln/internal/distro"
	"github.com/kilnhq/kiln/internal/generate"
	"github.com/kilnhq/kiln/internal/queue"
	"github.com/kilnhq/kiln/internal/service"
	"github.com/kilnhq/kiln/internal/store"
)

// Config is a node's configuration.
type Config struct {
	DataDir       string // database (SQLite), caches, artifacts, temporary files
	Database      string // SQLite path or postgres:// URL; default DataDir/kiln.db
	PublicURL     string // base URL of the API as clients see it
	APIVersion    string
	MaxBodyBytes  int64
	Mirrors       *distro.Mirrors
	AdminPassword string // for the first start; "" generates one

	RunWorkers    bool          // work generation jobs on this node
	Workers       int           // concurrent generations
	JobTimeout    time.Duration // longest generation
	CacheMaxBytes int64         // rootfs caches
	CacheDir      string        // rootfs caches; default DataDir/cache
	// Generator replaces the image engine (tests use a fast stand-in).
	Generator service.Generator
	// MaxOverlayBytes bounds one scan overlay upload (0: the default, 64 GiB).
	MaxOverlayBytes int64
	// Agent is the scan agent served at /resources/uforge-scan.bin; empty:
	// this binary, which is the agent (`kiln scan`).
	Agent string

	Logger *slog.Logger
}

// Node is a running Kiln: API handler, use cases and (optionally) workers.
type Node struct {
	Store   *store.SQL
	Service *service.Service
	Queue   *queue.Queue
	Handler http.Handler
	// AdminPassword is set when the first start generated the admin password.
	AdminPassword string

	log *slog.Logger
	dsn string
}

// Open builds a node; Start starts its queue.
func Open(ctx context.Context, cfg Config) (*Node, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	log := cfg.Logger
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	if cfg.Database == "" {
		cfg.Database = filepath.Join(cfg.DataDir, "kiln.db")
	}
	st, err := store.Open(ctx, cfg.Database, log)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	n := &Node{Store: st, log: log, dsn: cfg.Database}
	fail := func(err error) (*Node, error) {
		st.Close()
		return nil, err
	}
	svc := service.New(st, service.Config{Logger: log})
	n.Service = svc
	created, generated, err := svc.Bootstrap(ctx, cfg.AdminPassword)
	if err != nil {
		return fail(err)
	}
	if created {
		n.AdminPassword = generated
	}

	arts, err := newArtifacts(filepath.Join(cfg.DataDir, "artifacts"))
	if err != nil {
		return fail(err)
	}
	gen := cfg.Generator
	if gen == nil && cfg.RunWorkers {
		if cfg.Mirrors == nil {
			return fail(errors.New("app: workers need the Debian mirrors"))
		}
		if cfg.CacheDir == "" {
			cfg.CacheDir = filepath.Join(cfg.DataDir, "cache")
		}
		eng, err := generate.New(generate.Config{CacheDir: cfg.CacheDir, CacheMaxBytes: cfg.CacheMaxBytes,
			WorkDir: filepath.Join(cfg.DataDir, "tmp"), Mirrors: cfg.Mirrors, Overlays: arts, Logger: log})
		if err != nil {
			return fail(err)
		}
		gen = eng
	}
	q, err := queue.New(ctx, st, cfg.Database, queue.Config{
		Workers: cfg.Workers, JobTimeout: cfg.JobTimeout, RunWorkers: cfg.RunWorkers, Logger: log,
		Handler: svc.RunGeneration,
		OnFinal: func(ctx context.Context, js queue.Status) {
			if err := svc.JobFinished(ctx, js.ImageID, string(js.State), js.Error); err != nil {
				log.Warn("settle image after its job", "image", js.ImageID, "err", err)
			}
		},
	})
	if err != nil {
		return fail(err)
	}
	n.Queue = q
	svc.UseImages(service.Images{Queue: queueAdapter{q}, Generator: gen, Artifacts: arts,
		WorkDir: filepath.Join(cfg.DataDir, "tmp")})
	svc.UseScans(service.ScanConfig{UploadDir: filepath.Join(cfg.DataDir, "uploads"), MaxOverlayBytes: cfg.MaxOverlayBytes})
	agent, _ := os.Executable() // the kiln binary is the scan agent
	n.Handler = api.New(svc, api.Config{PublicURL: cfg.PublicURL, Version: cfg.APIVersion,
		MaxBodyBytes: cfg.MaxBodyBytes, AgentPath: cmp.Or(cfg.Agent, agent), Logger: log})
	return n, nil
}

// Start recovers orphaned jobs, settles images whose job ended while no node
// watched, and starts the workers.
func (n *Node) Start(ctx context.Context) error {
	if err := n.Queue.Start(ctx); err != nil {
		return fmt.Errorf("start queue: %w", err)
	}
	settled, err := n.Service.Reconcile(ctx, func(ctx context.Context, jobID int64) (string, string, error) {
		js, err := n.Queue.Status(ctx, jobID)
		if err != nil || !js.State.Final() {
			return "", "", err
		}
		return string(js.State), js.Error, nil
	})
	if err != nil {
		return fmt.Errorf("reconcile images: %w", err)
	}
	if settled > 0 {
		n.log.Info("settled images whose generation ended while no node watched", "count", settled)
	}
	return nil
}

// Close stops the workers (their jobs are retried later) and the database.
func (n *Node) Close(ctx context.Context) error {
	err := n.Queue.Stop(ctx)
	return errors.Join(err, n.Store.Close())
}

// queueAdapter gives the service the two queue operations it needs.
type queueAdapter struct{ q *queue.Queue }

func (a queueAdapter) Enqueue(ctx context.Context, imageID int64) (int64, error) {
	return a.q.Enqueue(ctx, imageID)
}

func (a queueAdapter) Cancel(ctx context.Context, jobID int64) error {
	_, err := a.q.Cancel(ctx, jobID)
	return err
}

// DatabaseDSN is the database the node opened.
func (n *Node) DatabaseDSN() string { return n.dsn }
