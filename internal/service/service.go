// Package service holds Kiln's use cases, split by resource the way the API
// is: Users (accounts, roles, API keys, authentication, the first
// administrator), Catalog (distributions, profiles, packages, target
// formats), Appliances (templates with their OS and install profiles),
// Images (generation, status, cancel, delete, download) and Scans (scanned
// instances, scans, overlays and the images generated from them). Each is
// built by its constructor with everything it needs; they share only the
// store, the ownership checks, the URIs and the errors. The service enforces
// ownership and validation; the HTTP layer only decodes, authorises and
// encodes. Generations run elsewhere (internal/build): the service stores an
// image with its build spec and enqueues it.
package service

import (
	"context"
	"io"
	"log/slog"
	"time"

	"github.com/kilnhq/kiln/internal/sealbox"
	"github.com/kilnhq/kiln/internal/store"
)

// Config holds what every resource's use cases need besides the store.
type Config struct {
	Logger *slog.Logger
	Now    func() time.Time // defaults to time.Now
	Login  LoginPolicy      // limits on password checks (Users)
	// Quotas are the limits of users an administrator gave none of.
	Quotas QuotaDefaults
	// DownloadKeyTTL is how long an unused download key works (0: a day).
	DownloadKeyTTL time.Duration
	// Secrets seals API-key secrets at rest (Users); without it, creating and
	// checking API keys fails.
	Secrets *sealbox.Box
}

// Queue runs generations durably (internal/queue). Nodes that run no
// generation still have one: they enqueue, and workers elsewhere run.
type Queue interface {
	Enqueue(ctx context.Context, imageID int64) (jobID int64, err error)
	Cancel(ctx context.Context, jobID int64) error
}

// Artifact is a stored file (an image or an overlay), opened for download.
type Artifact interface {
	io.ReadSeekCloser
	Size() int64
	SHA256() string
	ModTime() time.Time
}

// Artifacts stores finished images and scan overlays (internal/artifact).
type Artifacts interface {
	// PutFile moves a finished file in; sha256 is passed when already known.
	PutFile(ctx context.Context, key, path, sha256 string) (size int64, sum string, err error)
	Open(ctx context.Context, key string) (Artifact, error)
	Delete(ctx context.Context, key string) error
}

// base is what the use cases of every resource share: the store, the log,
// the clock, and the ownership checks built on them (ownership.go).
type base struct {
	store  store.Store
	log    *slog.Logger
	now    func() time.Time
	quotas QuotaDefaults
}

func newBase(st store.Store, cfg Config) base {
	b := base{store: st, log: cfg.Logger, now: cfg.Now, quotas: cfg.Quotas}
	if b.log == nil {
		b.log = slog.Default()
	}
	if b.now == nil {
		b.now = time.Now
	}
	return b
}

// Services is the set of use cases the API serves.
type Services struct {
	Users      *Users
	Catalog    *Catalog
	Appliances *Appliances
	Images     *Images
	Scans      *Scans
	Quotas     *Quotas
}

// New builds every resource's use cases on one store, queue and artifact store.
func New(st store.Store, q Queue, arts Artifacts, scans ScanConfig, cfg Config) *Services {
	return &Services{
		Users:      NewUsers(st, cfg),
		Catalog:    NewCatalog(st, cfg),
		Appliances: NewAppliances(st, cfg),
		Images:     NewImages(st, q, arts, cfg),
		Scans:      NewScans(st, q, arts, scans, cfg),
		Quotas:     NewQuotas(st, cfg),
	}
}
