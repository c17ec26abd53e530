package throttle

import (
	"sync"
	"time"
)

// BackoffPolicy says when a key gets locked and for how long.
type BackoffPolicy struct {
	Free    int           // consecutive failures allowed; the Free-th locks the key for First
	First   time.Duration // the first lock; each further failure doubles it...
	Longest time.Duration // ...up to this
	// Idle is how long a key's failures are remembered without a new one;
	// it should exceed Longest, or a locked key could start afresh.
	Idle    time.Duration
	MaxKeys int // keys remembered at most (least recently used forgotten first)
}

// Backoff counts consecutive failures per key and locks a key for
// exponentially longer once they pass the policy's allowance.
type Backoff[K comparable] struct {
	mu     sync.Mutex
	policy BackoffPolicy
	keys   *table[K, *streak]
}

type streak struct {
	failures int
	last     time.Time // of the last failure
	until    time.Time // locked until
}

// NewBackoff returns an empty Backoff with policy p.
func NewBackoff[K comparable](p BackoffPolicy) *Backoff[K] {
	return &Backoff[K]{policy: p, keys: newTable[K, *streak](max(p.MaxKeys, 1))}
}

// Locked returns how much longer key is locked at now (0: it is not). A
// refused attempt counts as a use: a key under attack is never the one
// evicted.
func (b *Backoff[K]) Locked(key K, now time.Time) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	s, ok := b.keys.find(key)
	if !ok || !now.Before(s.until) {
		return 0
	}
	return s.until.Sub(now)
}

// Fail records a failure of key at now and returns the lock it starts (0: none).
func (b *Backoff[K]) Fail(key K, now time.Time) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	s, ok := b.keys.find(key)
	if !ok {
		s = &streak{}
		b.keys.put(key, s)
	}
	if now.Sub(s.last) > b.policy.Idle {
		s.failures = 0
	}
	s.failures++
	s.last = now
	over := s.failures - max(b.policy.Free, 1)
	if over < 0 {
		return 0
	}
	lock := b.policy.First
	for i := 0; i < over && lock < b.policy.Longest; i++ { // at most log2(Longest/First) rounds
		lock *= 2
	}
	lock = min(lock, b.policy.Longest)
	s.until = now.Add(lock)
	return lock
}

// Succeed forgets key's failures.
func (b *Backoff[K]) Succeed(key K) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.keys.remove(key)
}
