// Package app assembles Kiln nodes from their parts. Every node opens the
// store, the artifact store and the durable queue (core); a worker node adds
// the image engine and the job runner (internal/build) and nothing else
// (OpenWorker, for `kiln worker`); a serving node adds the use cases
// (internal/service), the first administrator and the HTTP API, and the
// workers too when it runs generations itself (Open, for `kiln serve`).
// `kiln serve`, `kiln worker` and the end-to-end tests all start nodes
// through it, so they run the same wiring.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/kilnhq/kiln/internal/build"
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
	// Login bounds password checks (concurrency, per address, per login).
	Login service.LoginPolicy
	// TrustForwardedFor counts login attempts against the address a proxy
	// in front wrote last in X-Forwarded-For rather than the peer's.
	TrustForwardedFor bool

	RunWorkers    bool          // serving nodes: work generation jobs on this node too
	Workers       int           // concurrent generations
	JobTimeout    time.Duration // longest generation
	CacheMaxBytes int64         // rootfs caches
	CacheDir      string        // rootfs caches; default DataDir/cache
	// Generator replaces the image engine (tests use a fast stand-in).
	Generator build.Engine
	// MaxOverlayBytes bounds one scan overlay upload (0: the default, 64 GiB).
	MaxOverlayBytes int64
	// Quotas are the limits of users an administrator gave none of (zero
	// fields: no limit).
	Quotas service.QuotaDefaults
	// DownloadKeyTTL is how long an unused download key works (0: a day).
	DownloadKeyTTL time.Duration
	// StallTimeout bounds how long an upload or download may go without
	// moving a byte (0: a minute): those routes lift the server's timeouts.
	StallTimeout time.Duration
	// MinFreeBytes is the space a generation must leave free on the work and
	// cache filesystems beyond its disk size.
	MinFreeBytes int64
	// Agent is the scan agent served at /resources/uforge-scan.bin; empty:
	// this binary, which is the agent (`kiln scan`).
	Agent string
	// LegacyAPIKeySignatures accepts UForge's legacy API-key signatures for
	// every method, not only GET and HEAD (api.Config).
	LegacyAPIKeySignatures bool
	// SecretKeyFile holds the server key sealing API-key secrets in the
	// database (default DataDir/secret.key, generated when missing). Every
	// serving node of one database must use the same key.
	SecretKeyFile string
	// PreviousSecretKeyFile is the key being rotated out: secrets it sealed
	// still open, and are sealed again with SecretKeyFile's at start.
	PreviousSecretKeyFile string

	Logger *slog.Logger
}

// core is what every node has: the database, the artifact store and the
// generation queue; with workers, the engine and the job runner behind it.
type core struct {
	Store *store.SQL
	Queue *queue.Queue

	artifacts artifacts
	settle    *build.Reconciler
	log       *slog.Logger
	dsn       string
}

// openCore opens the store, the artifact store and the queue. With
// runWorkers the queue works jobs with a build.Runner on the engine.
func openCore(ctx context.Context, cfg *Config, runWorkers bool) (*core, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	log := cfg.Logger
	if runWorkers && cfg.Generator == nil && cfg.CacheDir == "" {
		cfg.CacheDir = filepath.Join(cfg.DataDir, "cache")
	}
	cacheInside := runWorkers && cfg.Generator == nil && inside(cfg.DataDir, cfg.CacheDir)
	if err := makePrivate(cfg.DataDir, cacheInside); err != nil {
		return nil, err
	}
	if cfg.Database == "" {
		cfg.Database = filepath.Join(cfg.DataDir, "kiln.db")
	}
	st, err := store.Open(ctx, cfg.Database, log)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	c := &core{Store: st, settle: build.NewReconciler(st, log), log: log, dsn: cfg.Database}
	if c.artifacts, err = newArtifacts(filepath.Join(cfg.DataDir, "artifacts")); err != nil {
		st.Close()
		return nil, err
	}
	qc := queue.Config{Workers: cfg.Workers, JobTimeout: cfg.JobTimeout, RunWorkers: runWorkers, Logger: log,
		OnFinal: func(ctx context.Context, js queue.Status) {
			if err := c.settle.JobFinished(ctx, js.ImageID, string(js.State), js.Error); err != nil {
				log.Warn("settle image after its job", "image", js.ImageID, "err", err)
			}
		},
	}
	if runWorkers {
		runner, err := c.runner(cfg)
		if err != nil {
			st.Close()
			return nil, err
		}
		qc.Handler = runner.Run
	}
	if c.Queue, err = queue.New(ctx, st, cfg.Database, qc); err != nil {
		st.Close()
		return nil, err
	}
	return c, nil
}

// runner builds the job runner on the configured engine, or on the real one.
func (c *core) runner(cfg *Config) (*build.Runner, error) {
	workDir := filepath.Join(cfg.DataDir, "tmp")
	eng := cfg.Generator
	cacheDir := ""
	if eng == nil {
		if cfg.Mirrors == nil {
			return nil, errors.New("app: workers need the Debian mirrors")
		}
		cacheDir = cfg.CacheDir // set by openCore
		real, err := generate.New(generate.Config{CacheDir: cfg.CacheDir, CacheMaxBytes: cfg.CacheMaxBytes,
			WorkDir: workDir, Mirrors: cfg.Mirrors, Overlays: c.artifacts, Logger: c.log})
		if err != nil {
			return nil, err
		}
		eng = real
	}
	return build.NewRunner(c.Store, c.artifacts, eng, build.Config{WorkDir: workDir, CacheDir: cacheDir,
		MinFreeBytes: cfg.MinFreeBytes, Logger: c.log}), nil
}

// Start recovers orphaned jobs, settles images whose job ended while no node
// watched, and starts the workers.
func (c *core) Start(ctx context.Context) error {
	if err := c.Queue.Start(ctx); err != nil {
		return fmt.Errorf("start queue: %w", err)
	}
	settled, err := c.settle.Reconcile(ctx, func(ctx context.Context, jobID int64) (string, string, error) {
		js, err := c.Queue.Status(ctx, jobID)
		if err != nil || !js.State.Final() {
			return "", "", err
		}
		return string(js.State), js.Error, nil
	})
	if err != nil {
		return fmt.Errorf("reconcile images: %w", err)
	}
	if settled > 0 {
		c.log.Info("settled images whose generation ended while no node watched", "count", settled)
	}
	return nil
}

// Close stops the workers (their jobs are retried later) and the database.
func (c *core) Close(ctx context.Context) error {
	err := c.Queue.Stop(ctx)
	return errors.Join(err, c.Store.Close())
}

// DatabaseDSN is the database the node opened.
func (c *core) DatabaseDSN() string { return c.dsn }
