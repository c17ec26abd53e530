package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// jobKind names generation jobs in river_job.kind; queueName is their queue.
const (
	jobKind   = "kiln.generate"
	queueName = "kiln_generate"
)

// generateArgs is the job's payload: only the image id. The build spec lives
// with the image, so a job stays valid however the spec format evolves.
type generateArgs struct {
	ImageID int64 `json:"image_id"`
}

func (generateArgs) Kind() string { return jobKind }

func decodeArgs(raw []byte) (generateArgs, error) {
	var a generateArgs
	if err := json.Unmarshal(raw, &a); err != nil {
		return a, fmt.Errorf("decode job args: %w", err)
	}
	return a, nil
}

// cancelRequested reads River's mark of a cancel requested while the job ran.
func cancelRequested(metadata []byte) bool {
	var m struct {
		At string `json:"cancel_attempted_at"`
	}
	return json.Unmarshal(metadata, &m) == nil && m.At != ""
}

// worker adapts a Handler to River.
type worker struct {
	river.WorkerDefaults[generateArgs]
	q *Queue
}

func (w *worker) Work(ctx context.Context, job *river.Job[generateArgs]) error {
	w.q.log.InfoContext(ctx, "generation started", "job_id", job.ID, "image_id", job.Args.ImageID, "attempt", job.Attempt)
	err := w.q.cfg.Handler(ctx, job.Args.ImageID)
	if err == nil {
		return nil
	}
	// Interrupted by our own shutdown (not a cancel, not a timeout): put the job
	// back without spending an attempt, so the next node to start runs it again.
	if ctx.Err() != nil && w.q.stopping.Load() &&
		!errors.Is(context.Cause(ctx), rivertype.ErrJobCancelledRemotely) &&
		!errors.Is(ctx.Err(), context.DeadlineExceeded) {
		w.q.log.InfoContext(ctx, "generation interrupted by shutdown, requeued", "job_id", job.ID, "image_id", job.Args.ImageID)
		return river.JobSnooze(0)
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) && !errors.Is(err, context.DeadlineExceeded) {
		// The handler reported what it was doing; say why it stopped.
		return fmt.Errorf("generation timed out after %s: %w", w.q.cfg.JobTimeout, err)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("generation timed out after %s: %w", w.q.cfg.JobTimeout, err)
	}
	return err
}
