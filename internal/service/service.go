package service

import (
	"log/slog"
	"time"

	"github.com/kilnhq/kiln/internal/store"
)

// Config holds what the use cases need besides the store.
type Config struct {
	Logger *slog.Logger
	Now    func() time.Time // defaults to time.Now
}

// Service implements Kiln's use cases.
type Service struct {
	store  store.Store
	log    *slog.Logger
	now    func() time.Time
	auth   *authCache
	images Images
	scans  ScanConfig
	// uploadLocks serialises each scan's overlay chunks.
	uploadLocks uploadLocks
}

// New returns a Service on st.
func New(st store.Store, cfg Config) *Service {
	s := &Service{store: st, log: cfg.Logger, now: cfg.Now,
		auth: newAuthCache(5*time.Minute, 10000)}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}
