package throttle

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Rates gives every key its own token bucket: perMinute tokens, refilled
// evenly over a minute, a full bucket to start with. At most maxKeys buckets
// are kept; the one evicted is the least recently used, and a bucket left
// alone for a minute is full again, so forgetting it loses nothing.
type Rates[K comparable] struct {
	mu    sync.Mutex
	limit rate.Limit
	burst int
	keys  *table[K, *rate.Limiter]
}

// NewRates returns per-key buckets of perMinute tokens (at least 1).
func NewRates[K comparable](perMinute, maxKeys int) *Rates[K] {
	perMinute = max(perMinute, 1)
	return &Rates[K]{limit: rate.Limit(float64(perMinute) / 60), burst: perMinute, keys: newTable[K, *rate.Limiter](maxKeys)}
}

// Take spends one token of key at now. With none left it spends nothing and
// returns how long until the next token.
func (r *Rates[K]) Take(key K, now time.Time) (wait time.Duration, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	lim, found := r.keys.find(key)
	if !found {
		lim = rate.NewLimiter(r.limit, r.burst)
		r.keys.put(key, lim)
	}
	res := lim.ReserveN(now, 1)
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return d, false
	}
	return 0, true
}
