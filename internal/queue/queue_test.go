package queue_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kilnhq/kiln/internal/queue"
)

func TestCompletes(t *testing.T) {
	eachBackend(t, func(t *testing.T, d db) {
		ctx := context.Background()
		st := openStore(t, d)
		fin := newFinals()
		ran := make(chan int64, 4)
		q := startQueue(t, st, d, queue.Config{
			RunWorkers: true, OnFinal: fin.record,
			Handler: func(ctx context.Context, imageID int64) error { ran <- imageID; return nil },
		})
		jobID, err := q.Enqueue(ctx, 42)
		if err != nil {
			t.Fatal(err)
		}
		if got := recv(t, ran, 5*time.Second, "handler"); got != 42 {
			t.Fatalf("handler got image %d, want 42", got)
		}
		f := fin.wait(t, jobID, 5*time.Second)
		if f.State != queue.StateCompleted || f.ImageID != 42 || f.Error != "" || f.Attempt != 1 {
			t.Fatalf("final = %+v, want completed image 42 attempt 1", f)
		}
		if s := status(t, q, jobID); s.State != queue.StateCompleted || s.FinishedAt.IsZero() {
			t.Fatalf("status = %+v", s)
		}
		// Enqueuing the same image again returns the same job, not a second build.
		again, err := q.Enqueue(ctx, 42)
		if err != nil || again != jobID {
			t.Fatalf("re-enqueue = %d, %v; want %d", again, err, jobID)
		}
		if _, err := q.Status(ctx, 999999); !errors.Is(err, queue.ErrNotFound) {
			t.Fatalf("status of unknown job: %v, want ErrNotFound", err)
		}
	})
}

func TestHandlerErrorFails(t *testing.T) {
	eachBackend(t, func(t *testing.T, d db) {
		st := openStore(t, d)
		fin := newFinals()
		var calls atomic.Int32
		q := startQueue(t, st, d, queue.Config{
			RunWorkers: true, OnFinal: fin.record, MaxAttempts: 1,
			Handler: func(ctx context.Context, imageID int64) error {
				calls.Add(1)
				return errors.New("mkfs.ext4: no space left on device")
			},
		})
		jobID, err := q.Enqueue(context.Background(), 7)
		if err != nil {
			t.Fatal(err)
		}
		f := fin.wait(t, jobID, 5*time.Second)
		if f.State != queue.StateFailed || !strings.Contains(f.Error, "no space left on device") {
			t.Fatalf("final = %+v, want failed with the handler's message", f)
		}
		s := status(t, q, jobID)
		if s.State != queue.StateFailed || s.Error != f.Error {
			t.Fatalf("status = %+v, want %+v", s, f)
		}
		time.Sleep(300 * time.Millisecond) // a retry would have started by now
		if n := calls.Load(); n != 1 {
			t.Fatalf("handler ran %d times with MaxAttempts 1", n)
		}
	})
}

func TestCancelQueued(t *testing.T) {
	eachBackend(t, func(t *testing.T, d db) {
		ctx := context.Background()
		st := openStore(t, d)
		fin := newFinals()
		var calls atomic.Int32
		q := newQueue(t, st, d, queue.Config{
			RunWorkers: true, OnFinal: fin.record,
			Handler: func(ctx context.Context, imageID int64) error { calls.Add(1); return nil },
		})
		jobID, err := q.Enqueue(ctx, 1) // workers not started yet: the job waits
		if err != nil {
			t.Fatal(err)
		}
		if s := status(t, q, jobID); s.State != queue.StateQueued {
			t.Fatalf("before cancel: %+v", s)
		}
		s, err := q.Cancel(ctx, jobID)
		if err != nil || s.State != queue.StateCancelled {
			t.Fatalf("cancel = %+v, %v; want cancelled", s, err)
		}
		if f := fin.wait(t, jobID, time.Second); f.State != queue.StateCancelled {
			t.Fatalf("final = %+v", f)
		}
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		time.Sleep(500 * time.Millisecond)
		if n := calls.Load(); n != 0 {
			t.Fatalf("cancelled job ran %d times", n)
		}
		if s := status(t, q, jobID); s.State != queue.StateCancelled {
			t.Fatalf("after start: %+v", s)
		}
		// Cancelling a final job changes nothing.
		if s, err := q.Cancel(ctx, jobID); err != nil || s.State != queue.StateCancelled {
			t.Fatalf("second cancel = %+v, %v", s, err)
		}
	})
}

func TestCancelRunning(t *testing.T) {
	eachBackend(t, func(t *testing.T, d db) {
		ctx := context.Background()
		st := openStore(t, d)
		fin := newFinals()
		b := newBlocker()
		q := startQueue(t, st, d, queue.Config{RunWorkers: true, OnFinal: fin.record, Handler: b.handle})
		jobID, err := q.Enqueue(ctx, 5)
		if err != nil {
			t.Fatal(err)
		}
		recv(t, b.started, 5*time.Second, "handler start")
		t0 := time.Now()
		if _, err := q.Cancel(ctx, jobID); err != nil {
			t.Fatal(err)
		}
		if err := recv(t, b.ended, 5*time.Second, "handler ctx cancelled"); !errors.Is(err, context.Canceled) {
			t.Fatalf("handler ctx err = %v", err)
		}
		f := fin.wait(t, jobID, 5*time.Second)
		t.Logf("%s: cancel → handler ctx done → job %s in %s", d.name, f.State, time.Since(t0).Round(time.Millisecond))
		if f.State != queue.StateCancelled {
			t.Fatalf("final = %+v, want cancelled", f)
		}
	})
}

func TestTimeout(t *testing.T) {
	eachBackend(t, func(t *testing.T, d db) {
		st := openStore(t, d)
		fin := newFinals()
		b := newBlocker()
		q := startQueue(t, st, d, queue.Config{
			RunWorkers: true, OnFinal: fin.record, Handler: b.handle,
			JobTimeout: 300 * time.Millisecond, MaxAttempts: 1,
		})
		jobID, err := q.Enqueue(context.Background(), 9)
		if err != nil {
			t.Fatal(err)
		}
		recv(t, b.started, 5*time.Second, "handler start")
		if err := recv(t, b.ended, 5*time.Second, "timeout"); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("handler ctx err = %v", err)
		}
		f := fin.wait(t, jobID, 5*time.Second)
		if f.State != queue.StateFailed || !strings.Contains(f.Error, "timed out after 300ms") {
			t.Fatalf("final = %+v, want failed with a timeout message", f)
		}
	})
}

func TestConcurrencyLimit(t *testing.T) {
	eachBackend(t, func(t *testing.T, d db) {
		ctx := context.Background()
		st := openStore(t, d)
		fin := newFinals()
		var running, peak atomic.Int32
		q := startQueue(t, st, d, queue.Config{
			RunWorkers: true, Workers: 2, OnFinal: fin.record,
			Handler: func(ctx context.Context, imageID int64) error {
				n := running.Add(1)
				defer running.Add(-1)
				for {
					p := peak.Load()
					if n <= p || peak.CompareAndSwap(p, n) {
						break
					}
				}
				time.Sleep(150 * time.Millisecond)
				return nil
			},
		})
		var ids []int64
		for i := range 6 {
			id, err := q.Enqueue(ctx, int64(100+i))
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		for _, id := range ids {
			if f := fin.wait(t, id, 10*time.Second); f.State != queue.StateCompleted {
				t.Fatalf("job %d: %+v", id, f)
			}
		}
		if p := peak.Load(); p != 2 {
			t.Fatalf("peak concurrency = %d, want exactly 2 (Workers)", p)
		}
	})
}

// TestStopRequeues: a build interrupted by shutdown goes back to the queue
// without spending an attempt, and the next queue runs it.
func TestStopRequeues(t *testing.T) {
	eachBackend(t, func(t *testing.T, d db) {
		ctx := context.Background()
		st := openStore(t, d)
		b := newBlocker()
		q, err := queue.New(ctx, st, d.dsn, queue.Config{RunWorkers: true, Handler: b.handle, MaxAttempts: 1, PollInterval: 100 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		jobID, err := q.Enqueue(ctx, 3)
		if err != nil {
			t.Fatal(err)
		}
		recv(t, b.started, 5*time.Second, "handler start")
		stopCtx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		defer cancel()
		if err := q.Stop(stopCtx); err != nil {
			t.Fatalf("stop: %v", err)
		}
		recv(t, b.ended, time.Second, "handler cancelled by shutdown")

		fin := newFinals()
		ran := make(chan int64, 1)
		q2 := startQueue(t, st, d, queue.Config{
			RunWorkers: true, OnFinal: fin.record,
			Handler: func(ctx context.Context, imageID int64) error { ran <- imageID; return nil },
		})
		if got := recv(t, ran, 5*time.Second, "requeued job"); got != 3 {
			t.Fatalf("image %d, want 3", got)
		}
		if f := fin.wait(t, jobID, 5*time.Second); f.State != queue.StateCompleted {
			t.Fatalf("final = %+v, want completed (MaxAttempts 1 not spent by the shutdown)", f)
		}
		_ = q2
	})
}
