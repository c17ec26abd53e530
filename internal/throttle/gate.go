package throttle

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrBusy means every slot of a Gate stayed taken for the whole wait.
var ErrBusy = errors.New("throttle: every slot is busy")

// Gate lets at most n operations run at once; a caller waits a little for a
// slot, then gives up, so that a flood turns into quick refusals instead of
// an ever longer queue.
type Gate struct {
	slots chan struct{}
	wait  time.Duration
}

// NewGate returns a gate of n slots (at least 1) whose callers wait at most wait.
func NewGate(n int, wait time.Duration) *Gate {
	return &Gate{slots: make(chan struct{}, max(n, 1)), wait: wait}
}

// Enter takes a slot, waiting at most the gate's wait (or until ctx ends),
// and returns the function that frees it. It fails with ErrBusy, or with
// ctx's error when the caller went away.
func (g *Gate) Enter(ctx context.Context) (leave func(), err error) {
	select { // a free slot needs no timer
	case g.slots <- struct{}{}:
		return g.leave, nil
	default:
	}
	timer := time.NewTimer(g.wait)
	defer timer.Stop()
	select {
	case g.slots <- struct{}{}:
		return g.leave, nil
	case <-timer.C:
		return nil, ErrBusy
	case <-ctx.Done():
		return nil, fmt.Errorf("throttle: waiting for a slot: %w", ctx.Err())
	}
}

func (g *Gate) leave() { <-g.slots }
