package client

import (
	"context"
	"math/rand/v2"
	"time"
)

// Backoff is the delay before retry number attempt (0-based): base doubled per
// attempt, capped at max, with "equal jitter" (a uniform draw in [d/2, d]) so
// that many agents cut off by the same server outage do not come back in step.
func Backoff(attempt int, base, max time.Duration) time.Duration {
	d := base
	for i := 0; i < attempt && d < max; i++ {
		d *= 2
	}
	d = min(d, max)
	if d <= 1 {
		return d
	}
	half := d / 2
	return half + rand.N(d-half+1)
}

// Sleep waits for d or until ctx ends, whichever comes first.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
