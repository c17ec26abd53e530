package queue_test

import (
	"context"
	"errors"
	"sort"
	"testing"
	"time"

	"github.com/kilnhq/kiln/internal/queue"
	"github.com/kilnhq/kiln/internal/store/pgtest"
)

// TestWorkerNode: on PostgreSQL, a `kiln worker`-style node (workers only, its
// own store and pool) runs jobs that an API node (insert only) enqueues, and a
// cancel from the API node reaches the handler running on the worker node.
func TestWorkerNode(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := db{name: "postgres", dsn: pgtest.Start(t)}

	api := newQueue(t, openStore(t, d), d, queue.Config{}) // RunWorkers false: inserts only
	if err := api.Start(ctx); err != nil {
		t.Fatal(err)
	}
	fin := newFinals()
	b := newBlocker()
	done := make(chan int64, 1)
	startQueue(t, openStore(t, d), d, queue.Config{
		RunWorkers: true, OnFinal: fin.record,
		Handler: func(ctx context.Context, imageID int64) error {
			if imageID == 1 {
				done <- imageID
				return nil
			}
			return b.handle(ctx, imageID)
		},
	})

	first, err := api.Enqueue(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	recv(t, done, 5*time.Second, "job run by the worker node")
	if f := fin.wait(t, first, 5*time.Second); f.State != queue.StateCompleted {
		t.Fatalf("final = %+v", f)
	}
	waitState(t, api, first, queue.StateCompleted)

	second, err := api.Enqueue(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	recv(t, b.started, 5*time.Second, "second handler start")
	t0 := time.Now()
	if st, err := api.Cancel(ctx, second); err != nil || !st.CancelRequested {
		t.Fatalf("cancel from the API node = %+v, %v", st, err)
	}
	if err := recv(t, b.ended, 5*time.Second, "cancel across nodes"); !errors.Is(err, context.Canceled) {
		t.Fatalf("handler ctx err = %v", err)
	}
	t.Logf("cancel from another node reached the handler in %s", time.Since(t0).Round(time.Millisecond))
	if f := fin.wait(t, second, 5*time.Second); f.State != queue.StateCancelled {
		t.Fatalf("final = %+v", f)
	}
	waitState(t, api, second, queue.StateCancelled)
}

func waitState(t *testing.T, q *queue.Queue, jobID int64, want queue.State) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		s := status(t, q, jobID)
		if s.State == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %d: %+v, want %s", jobID, s, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestLatency measures enqueue latency and enqueue → handler start, serially,
// on an otherwise idle queue (figures are logged; the bounds only catch a
// broken wake-up path).
func TestLatency(t *testing.T) {
	eachBackend(t, func(t *testing.T, d db) {
		ctx := context.Background()
		st := openStore(t, d)
		started := make(chan time.Time, 1)
		q := startQueue(t, st, d, queue.Config{
			RunWorkers: true, PollInterval: 250 * time.Millisecond,
			Handler: func(ctx context.Context, imageID int64) error { started <- time.Now(); return nil },
		})
		const n = 20
		var enq, wait []time.Duration
		for i := range n {
			t0 := time.Now()
			if _, err := q.Enqueue(ctx, int64(1000+i)); err != nil {
				t.Fatal(err)
			}
			enq = append(enq, time.Since(t0))
			wait = append(wait, recv(t, started, 5*time.Second, "handler start").Sub(t0))
		}
		p := func(ds []time.Duration, q float64) time.Duration {
			s := append([]time.Duration(nil), ds...)
			sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
			return s[int(q*float64(len(s)-1))].Round(10 * time.Microsecond)
		}
		t.Logf("%s (poll 250ms, %d jobs): enqueue p50 %s p95 %s; enqueue→start p50 %s p95 %s max %s",
			d.name, n, p(enq, .5), p(enq, .95), p(wait, .5), p(wait, .95), p(wait, 1))
		if p(wait, .5) > time.Second {
			t.Errorf("median enqueue→start %s: workers are not woken", p(wait, .5))
		}
	})
}
