package build

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/kilnhq/kiln/internal/store"
)

// Job outcomes, as the queue reports them.
const (
	JobCompleted = "completed"
	JobFailed    = "failed"
	JobCancelled = "cancelled"
)

// Reconciler makes images terminal when their job ended without the Runner
// doing so. Every node has one, including those that run no jobs: an API
// node cancels queued jobs and settles what ended while no node watched.
type Reconciler struct {
	store Store
	log   *slog.Logger
}

// NewReconciler returns a Reconciler on st.
func NewReconciler(st Store, log *slog.Logger) *Reconciler {
	return &Reconciler{store: st, log: orDefault(log)}
}

// JobFinished makes an image terminal when its job ended without the handler
// doing so: a worker that died (kill -9) and was not retried, a timeout, a
// cancel of a queued job. An image that is terminal already is left alone.
func (r *Reconciler) JobFinished(ctx context.Context, imageID int64, state, errMsg string) error {
	img, err := r.store.GetImage(ctx, imageID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if img.Terminal() {
		return nil
	}
	o := store.ImageOutcome{State: store.ImageError, Message: "Generation failed"}
	switch state {
	case JobCancelled:
		o = store.ImageOutcome{State: store.ImageCancelled, Message: "Generation cancelled"}
	case JobFailed:
		o.ErrorMsg = "the generation did not finish: " + errMsg
		if errMsg == "" {
			o.ErrorMsg = "the generation did not finish (its worker stopped)"
		}
		o.DetailedErr = errMsg
	default:
		o.ErrorMsg = fmt.Sprintf("the generation job ended as %s without producing the image", state)
	}
	_, err = r.store.FinishImage(ctx, imageID, o)
	return err
}

// JobState reads the final state of a job ("" while it is not final).
type JobState func(ctx context.Context, jobID int64) (state, errMsg string, err error)

// Reconcile settles images whose job is final but who are not (their job was
// finalised by another node, or while this one was down). Run at start.
func (r *Reconciler) Reconcile(ctx context.Context, jobState JobState) (int, error) {
	n := 0
	for _, st := range []string{store.ImageQueued, store.ImageRunning} {
		imgs, err := r.store.ListImages(ctx, store.ImageFilter{State: st})
		if err != nil {
			return n, err
		}
		for _, img := range imgs {
			if img.JobID == 0 {
				continue
			}
			state, msg, err := jobState(ctx, img.JobID)
			if err != nil {
				r.log.Warn("reconcile image", "image", img.ID, "job", img.JobID, "err", err)
				continue
			}
			if state == "" {
				continue
			}
			if err := r.JobFinished(ctx, img.ID, state, msg); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}
