package throttle

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var t0 = time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)

func TestTableEvictsLeastRecentlyUsed(t *testing.T) {
	tb := newTable[string, int](2)
	tb.put("a", 1)
	tb.put("b", 2)
	tb.find("a") // b is now the least recently used
	tb.put("c", 3)
	if _, ok := tb.find("b"); ok {
		t.Error("b survived, though least recently used")
	}
	for k, want := range map[string]int{"a": 1, "c": 3} {
		if v, ok := tb.find(k); !ok || v != want {
			t.Errorf("%s = %d, %v; want %d", k, v, ok, want)
		}
	}
	tb.remove("a")
	if tb.len() != 1 {
		t.Errorf("len %d after remove, want 1", tb.len())
	}
}

func TestRates(t *testing.T) {
	r := NewRates[string](3, 10)
	for i := range 3 {
		if _, ok := r.Take("10.0.0.1", t0); !ok {
			t.Fatalf("token %d refused: the bucket starts full", i+1)
		}
	}
	wait, ok := r.Take("10.0.0.1", t0)
	if ok || wait != 20*time.Second {
		t.Fatalf("fourth token: %v, %v; want a refusal for 20 s (3 a minute)", wait, ok)
	}
	if _, ok := r.Take("10.0.0.2", t0); !ok {
		t.Error("another key was refused")
	}
	// A refusal spends nothing: the token comes 20 s after the last one taken.
	if wait, ok := r.Take("10.0.0.1", t0.Add(19*time.Second)); ok || wait.Round(time.Millisecond) != time.Second {
		t.Errorf("at 19 s: %v, %v; want a refusal for 1 s", wait, ok)
	}
	if _, ok := r.Take("10.0.0.1", t0.Add(20*time.Second)); !ok {
		t.Error("at 20 s the refilled token was refused")
	}
}

func TestRatesBounded(t *testing.T) {
	r := NewRates[int](1, 100)
	for k := range 1000 {
		r.Take(k, t0)
	}
	if n := r.keys.len(); n != 100 {
		t.Errorf("%d buckets kept, want at most 100", n)
	}
}

func TestBackoff(t *testing.T) {
	b := NewBackoff[string](BackoffPolicy{Free: 5, First: time.Second, Longest: 5 * time.Minute, Idle: time.Hour, MaxKeys: 10})
	now := t0
	for i := 1; i <= 4; i++ {
		if lock := b.Fail("alice", now); lock != 0 {
			t.Fatalf("failure %d locked for %v; the first 4 are free", i, lock)
		}
	}
	// The fifth locks for 1 s, then each failure doubles it, up to 5 minutes.
	want := []time.Duration{1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300}
	for i, w := range want {
		lock := b.Fail("alice", now)
		if lock != w*time.Second {
			t.Fatalf("failure %d locks for %v, want %v", i+5, lock, w*time.Second)
		}
		if got := b.Locked("alice", now); got != lock {
			t.Fatalf("Locked = %v right after a %v lock", got, lock)
		}
		now = now.Add(lock) // the next attempt once the lock is over
		if got := b.Locked("alice", now); got != 0 {
			t.Fatalf("still locked for %v when the lock ended", got)
		}
	}
	if b.Locked("bob", now) != 0 {
		t.Error("bob is locked by alice's failures")
	}
	b.Succeed("alice")
	if lock := b.Fail("alice", now); lock != 0 {
		t.Errorf("a failure after a success locks for %v; success resets", lock)
	}
	// Failures an hour apart are not a streak.
	for range 4 {
		b.Fail("carol", now)
	}
	if lock := b.Fail("carol", now.Add(time.Hour+time.Second)); lock != 0 {
		t.Errorf("a failure after an idle hour locks for %v", lock)
	}
}

func TestBackoffBoundedKeepsAttackedKeys(t *testing.T) {
	b := NewBackoff[int](BackoffPolicy{Free: 1, First: time.Minute, Longest: time.Hour, Idle: 2 * time.Hour, MaxKeys: 50})
	b.Fail(-1, t0) // locked for a minute
	for k := range 1000 {
		b.Fail(k, t0)
		b.Locked(-1, t0) // the attacker keeps trying -1: it stays recently used
	}
	if n := b.keys.len(); n != 50 {
		t.Errorf("%d keys kept, want 50", n)
	}
	if b.Locked(-1, t0) != time.Minute {
		t.Error("the key under attack was forgotten")
	}
}

func TestGate(t *testing.T) {
	g := NewGate(2, 20*time.Millisecond)
	ctx := context.Background()
	var running, most atomic.Int32
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			leave, err := g.Enter(ctx)
			for err != nil { // waiting for a slot; ErrBusy after 20 ms
				if !errors.Is(err, ErrBusy) {
					t.Errorf("Enter: %v", err)
					return
				}
				leave, err = g.Enter(ctx)
			}
			n := running.Add(1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			time.Sleep(5 * time.Millisecond)
			running.Add(-1)
			leave()
		})
	}
	wg.Wait()
	if m := most.Load(); m != 2 {
		t.Errorf("%d ran at once, want 2", m)
	}

	leave1, _ := g.Enter(ctx)
	leave2, _ := g.Enter(ctx)
	began := time.Now()
	if _, err := g.Enter(ctx); !errors.Is(err, ErrBusy) {
		t.Fatalf("a third Enter: %v, want ErrBusy", err)
	}
	if waited := time.Since(began); waited < 20*time.Millisecond {
		t.Errorf("gave up after %v, want the 20 ms wait", waited)
	}
	gone, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := g.Enter(gone); !errors.Is(err, context.Canceled) {
		t.Errorf("Enter with a cancelled context: %v", err)
	}
	leave1()
	leave, err := g.Enter(ctx)
	if err != nil {
		t.Fatalf("Enter after a slot was freed: %v", err)
	}
	leave()
	leave2()
}
