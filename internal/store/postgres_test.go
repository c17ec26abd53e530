package store_test

import (
	"sync"
	"testing"
	"time"

	"github.com/kilnhq/kiln/internal/store"
	"github.com/kilnhq/kiln/internal/store/pgtest"
	"github.com/kilnhq/kiln/internal/store/storetest"
)

func openPostgres(t *testing.T, dsn string) *store.SQL {
	t.Helper()
	s, err := store.Open(t.Context(), dsn, testLogger(t))
	if err != nil {
		t.Fatalf("Open(postgres): %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestPostgresConformance(t *testing.T) {
	// Not parallel with the other conformance run: its speed test measures time.
	storetest.Run(t, func(t *testing.T) store.Store { return openPostgres(t, pgtest.Start(t)) })
}

func TestPostgresOpen(t *testing.T) {
	t.Parallel()
	dsn := pgtest.Start(t)
	start := time.Now()
	s := openPostgres(t, dsn)
	t.Logf("open and migrate a new PostgreSQL database: %v", time.Since(start))
	if s.Dialect() != store.DialectPostgres {
		t.Errorf("Dialect = %q", s.Dialect())
	}
	if err := s.CreateUser(t.Context(), &store.User{Login: "persist"}); err != nil {
		t.Fatal(err)
	}
	// Nodes starting together migrate once: the others wait on the advisory lock.
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			s, err := store.Open(t.Context(), dsn, nil)
			if err != nil {
				t.Errorf("concurrent Open: %v", err)
				return
			}
			defer s.Close()
			if _, err := s.GetUser(t.Context(), "persist"); err != nil {
				t.Errorf("after concurrent Open: %v", err)
			}
		})
	}
	wg.Wait()
}

// TestPostgresConcurrentMigrations opens a fresh database from several nodes at once.
func TestPostgresConcurrentMigrations(t *testing.T) {
	t.Parallel()
	dsn := pgtest.Start(t)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			s, err := store.Open(t.Context(), dsn, nil)
			if err != nil {
				t.Errorf("concurrent first Open: %v", err)
				return
			}
			s.Close()
		})
	}
	wg.Wait()
}
