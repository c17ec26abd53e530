package queue

import (
	"time"

	"github.com/riverqueue/river/rivertype"
)

// State is where a job stands, in this package's words rather than River's.
type State string

// Job states. Completed, Failed and Cancelled are final.
const (
	StateQueued    State = "queued" // waiting: new, scheduled or waiting for a retry
	StateRunning   State = "running"
	StateCompleted State = "completed"
	StateFailed    State = "failed" // the last allowed attempt failed (or its worker died)
	StateCancelled State = "cancelled"
)

// Final reports whether s can no longer change.
func (s State) Final() bool {
	return s == StateCompleted || s == StateFailed || s == StateCancelled
}

// Status is a job as the caller sees it.
type Status struct {
	JobID       int64
	ImageID     int64
	State       State
	Attempt     int // attempts started so far
	MaxAttempts int
	// Error is the message of the last failed attempt ("" when none): the
	// handler's error, a timeout, a cancellation, or a rescue after a dead worker.
	Error string
	// CancelRequested is set when Cancel was called on the job while it ran.
	CancelRequested bool
	FinishedAt      time.Time // zero until final
}

func stateOf(s rivertype.JobState) State {
	switch s {
	case rivertype.JobStateRunning:
		return StateRunning
	case rivertype.JobStateCompleted:
		return StateCompleted
	case rivertype.JobStateDiscarded:
		return StateFailed
	case rivertype.JobStateCancelled:
		return StateCancelled
	default: // available, pending, retryable, scheduled
		return StateQueued
	}
}

func statusOf(row *rivertype.JobRow) Status {
	st := Status{
		JobID:       row.ID,
		State:       stateOf(row.State),
		Attempt:     row.Attempt,
		MaxAttempts: row.MaxAttempts,
	}
	if args, err := decodeArgs(row.EncodedArgs); err == nil {
		st.ImageID = args.ImageID
	}
	if n := len(row.Errors); n > 0 {
		st.Error = row.Errors[n-1].Error
	}
	if row.FinalizedAt != nil {
		st.FinishedAt = *row.FinalizedAt
	}
	st.CancelRequested = cancelRequested(row.Metadata)
	return st
}
