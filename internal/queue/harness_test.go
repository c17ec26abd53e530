package queue_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/kilnhq/kiln/internal/queue"
	"github.com/kilnhq/kiln/internal/store"
	"github.com/kilnhq/kiln/internal/store/pgtest"
)

// db is one test database: the DSN a store and a queue are opened with.
type db struct {
	name string
	dsn  string
}

// eachBackend runs fn on a fresh SQLite file and on a fresh PostgreSQL database.
func eachBackend(t *testing.T, fn func(t *testing.T, d db)) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		fn(t, db{name: "sqlite", dsn: filepath.Join(t.TempDir(), "kiln.db")})
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		fn(t, db{name: "postgres", dsn: pgtest.Start(t)})
	})
}

func openStore(t *testing.T, d db) *store.SQL {
	t.Helper()
	st, err := store.Open(context.Background(), d.dsn, nil)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// finals collects OnFinal calls.
type finals struct {
	mu   sync.Mutex
	got  map[int64][]queue.Status // by job id
	wake chan struct{}
}

func newFinals() *finals {
	return &finals{got: map[int64][]queue.Status{}, wake: make(chan struct{}, 1)}
}

func (f *finals) record(_ context.Context, st queue.Status) {
	f.mu.Lock()
	f.got[st.JobID] = append(f.got[st.JobID], st)
	f.mu.Unlock()
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// wait returns the first OnFinal status of jobID, failing the test after timeout.
func (f *finals) wait(t *testing.T, jobID int64, timeout time.Duration) queue.Status {
	t.Helper()
	deadline := time.After(timeout)
	for {
		f.mu.Lock()
		got := f.got[jobID]
		f.mu.Unlock()
		if len(got) > 0 {
			return got[0]
		}
		select {
		case <-f.wake:
		case <-time.After(20 * time.Millisecond):
		case <-deadline:
			t.Fatalf("job %d: no final state within %s", jobID, timeout)
		}
	}
}

// startQueue opens and starts a queue on st, stopped when the test ends.
func startQueue(t *testing.T, st *store.SQL, d db, cfg queue.Config) *queue.Queue {
	t.Helper()
	q := newQueue(t, st, d, cfg)
	if err := q.Start(context.Background()); err != nil {
		t.Fatalf("start queue: %v", err)
	}
	return q
}

func newQueue(t *testing.T, st *store.SQL, d db, cfg queue.Config) *queue.Queue {
	t.Helper()
	if cfg.PollInterval == 0 {
		cfg.PollInterval = 100 * time.Millisecond
	}
	q, err := queue.New(context.Background(), st, d.dsn, cfg)
	if err != nil {
		t.Fatalf("new queue: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := q.Stop(ctx); err != nil {
			t.Errorf("stop queue: %v", err)
		}
	})
	return q
}

// blocker is a handler that signals when it starts and waits for its ctx.
type blocker struct {
	started chan int64 // image ids
	ended   chan error // ctx.Err() seen by the handler
}

func newBlocker() *blocker {
	return &blocker{started: make(chan int64, 16), ended: make(chan error, 16)}
}

func (b *blocker) handle(ctx context.Context, imageID int64) error {
	b.started <- imageID
	<-ctx.Done()
	b.ended <- ctx.Err()
	return ctx.Err()
}

func recv[T any](t *testing.T, ch <-chan T, timeout time.Duration, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(timeout):
		t.Fatalf("timed out after %s waiting for %s", timeout, what)
		panic("unreachable")
	}
}

func status(t *testing.T, q *queue.Queue, jobID int64) queue.Status {
	t.Helper()
	st, err := q.Status(context.Background(), jobID)
	if err != nil {
		t.Fatalf("status of job %d: %v", jobID, err)
	}
	return st
}
