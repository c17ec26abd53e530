package store_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/kilnhq/kiln/internal/store"
	"github.com/kilnhq/kiln/internal/store/storetest"
)

func openSQLite(t *testing.T, path string) *store.SQL {
	t.Helper()
	s, err := store.Open(t.Context(), path, testLogger(t))
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestSQLiteConformance(t *testing.T) {
	// Not parallel with the other conformance run: its speed test measures time.
	storetest.Run(t, func(t *testing.T) store.Store {
		return openSQLite(t, filepath.Join(t.TempDir(), "kiln.db"))
	})
}

func TestSQLiteOpen(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	// Parent directories are created; a path with URI-special characters stays a path.
	path := filepath.Join(t.TempDir(), "a", "b?c#d%20", "kiln.db")
	start := time.Now()
	s := openSQLite(t, path)
	t.Logf("open and migrate a new SQLite database: %v", time.Since(start))
	if s.Dialect() != store.DialectSQLite {
		t.Errorf("Dialect = %q", s.Dialect())
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database file: %v", err)
	}
	var mode string
	if err := s.DB().QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}
	var fk int
	if err := s.DB().QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil || fk != 1 {
		t.Errorf("foreign_keys = %d, %v; want 1", fk, err)
	}
	if err := s.CreateUser(ctx, &store.User{Login: "persist"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// Reopening finds the data and applies no migration twice.
	s2 := openSQLite(t, path)
	if _, err := s2.GetUser(ctx, "persist"); err != nil {
		t.Errorf("after reopen: %v", err)
	}
}

func TestSQLiteMemory(t *testing.T) {
	t.Parallel()
	s := openSQLite(t, ":memory:")
	u := &store.User{Login: "m"}
	if err := s.CreateUser(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetUser(t.Context(), "m"); err != nil {
		t.Errorf("read back from :memory: %v", err)
	}
}

// TestSQLiteTwoHandles writes through two stores on one file at once, as a
// server and a CLI on the same machine would: SQLite's busy timeout, not luck,
// keeps "database is locked" away.
func TestSQLiteTwoHandles(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "kiln.db")
	a := openSQLite(t, path)
	b := openSQLite(t, path)
	ctx := t.Context()
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for i, s := range []*store.SQL{a, b, a, b} {
		wg.Go(func() {
			for j := range 25 {
				if err := s.CreateUser(ctx, &store.User{Login: fmt.Sprintf("u%d-%d", i, j), Roles: []string{"r"}}); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Go(func() {
		for v := range 3 {
			pkgs := make([]store.Package, 20000)
			for i := range pkgs {
				pkgs[i] = store.Package{Name: fmt.Sprintf("p%d", i), Version: fmt.Sprint(v), Arch: "all"}
			}
			if err := b.ReplacePackages(ctx, 1, pkgs, time.Now()); err != nil {
				errs <- err
			}
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("write through a second handle: %v", err)
	}
	if n, err := a.CountUsers(ctx); err != nil || n != 100 {
		t.Errorf("CountUsers = %d, %v; want 100", n, err)
	}
}

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	// A directory where the file should be.
	if _, err := store.Open(ctx, t.TempDir(), nil); err == nil {
		t.Error("Open(directory) succeeded")
	}
	if _, err := store.Open(ctx, "", nil); err == nil {
		t.Error(`Open("") succeeded`)
	}
	// Nothing listens there: fails quickly with an error, not a hang or panic.
	if _, err := store.Open(ctx, "postgres://u:secret@127.0.0.1:1/db?connect_timeout=2", nil); err == nil {
		t.Error("Open(unreachable postgres) succeeded")
	} else if errors.Is(err, store.ErrNotFound) {
		t.Errorf("unreachable server reported as %v", err)
	}
}

// TestMigrationsInStep keeps the per-dialect migration directories aligned:
// every version exists for every dialect.
func TestMigrationsInStep(t *testing.T) {
	t.Parallel()
	list := func(d string) []string {
		ents, err := fs.ReadDir(os.DirFS("migrations"), d)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		return names
	}
	sq, pg := list("sqlite"), list("postgres")
	if !slices.Equal(sq, pg) || len(sq) == 0 {
		t.Errorf("migrations differ: sqlite %v, postgres %v", sq, pg)
	}
}

// testLogger shows the store's logs with the test's output (go test -v, or on failure).
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}
