package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivertype"
)

// rescueBackstopMargin delays River's own rescuer behind Recover, which reports
// what it does through OnFinal; River's rescuer only catches what Recover missed.
const rescueBackstopMargin = 10 * time.Minute

// orphanRule says which running jobs are presumed orphaned.
type orphanRule int

const (
	orphanStale orphanRule = iota // running for longer than RescueAfter
	orphanAll                     // every running job (SQLite, before our workers start)
)

// Recovered counts what Recover did.
type Recovered struct {
	Retried   int // put back in the queue: attempts remained
	Failed    int // attempts exhausted: failed with a "worker died" error
	Cancelled int // cancel had been requested: now cancelled
}

// Recover rescues jobs presumed orphaned because they have been running for
// longer than RescueAfter: each is retried when attempts remain, else failed
// with an error saying its worker died, or cancelled when a cancel was
// requested. Final outcomes go to OnFinal. Running nodes call it periodically;
// on SQLite, Start also rescues every running job, since no other process can
// be working one.
func (q *Queue) Recover(ctx context.Context) (Recovered, error) {
	return q.recover(ctx, orphanStale)
}

func (q *Queue) recover(ctx context.Context, rule orphanRule) (Recovered, error) {
	var res Recovered
	now := time.Now().UTC()
	horizon := now.Add(-q.cfg.RescueAfter)
	if rule == orphanAll {
		horizon = now.Add(time.Minute) // tolerate a clock step since the job started
	}
	var afterID int64
	for {
		rows, err := q.be.exec.JobGetStuck(ctx, &riverdriver.JobGetStuckParams{AfterID: afterID, Max: 100, StuckHorizon: horizon})
		if err != nil {
			return res, fmt.Errorf("queue: find orphaned jobs: %w", err)
		}
		if len(rows) == 0 {
			return res, nil
		}
		afterID = rows[len(rows)-1].ID
		p := &riverdriver.JobRescueManyParams{StuckHorizon: horizon}
		var finals []int64
		for _, row := range rows {
			state, finalizedAt := rivertype.JobStateAvailable, (*time.Time)(nil)
			msg := fmt.Sprintf("worker died during attempt %d: job was still running when the queue recovered it; retried", row.Attempt)
			switch {
			case cancelRequested(row.Metadata):
				state, finalizedAt = rivertype.JobStateCancelled, &now
				msg = fmt.Sprintf("worker died during attempt %d after a cancel was requested", row.Attempt)
				res.Cancelled++
			case row.Attempt >= row.MaxAttempts:
				state, finalizedAt = rivertype.JobStateDiscarded, &now
				msg = fmt.Sprintf("worker died during attempt %d of %d: job was still running when the queue recovered it", row.Attempt, row.MaxAttempts)
				res.Failed++
			default:
				res.Retried++
			}
			errJSON, err := json.Marshal(rivertype.AttemptError{At: now, Attempt: max(row.Attempt, 0), Error: msg})
			if err != nil {
				return res, fmt.Errorf("queue: encode rescue error: %w", err)
			}
			p.ID = append(p.ID, row.ID)
			p.Error = append(p.Error, errJSON)
			p.FinalizedAt = append(p.FinalizedAt, finalizedAt)
			p.ScheduledAt = append(p.ScheduledAt, now)
			p.State = append(p.State, string(state))
			if finalizedAt != nil {
				finals = append(finals, row.ID)
			}
			q.log.WarnContext(ctx, "rescued orphaned job", "job_id", row.ID, "attempt", row.Attempt, "new_state", state)
		}
		if _, err := q.be.exec.JobRescueMany(ctx, p); err != nil {
			return res, fmt.Errorf("queue: rescue orphaned jobs: %w", err)
		}
		for _, id := range finals {
			// Read back: a job that finished meanwhile was left alone by the update.
			if st, err := q.Status(ctx, id); err == nil && st.State.Final() {
				q.final(ctx, st)
			}
		}
		if len(rows) < 100 {
			return res, nil
		}
	}
}

// rescueLoop runs Recover while the workers run. Every node does it; two
// nodes rescuing the same job at once is harmless (the update is conditional).
func (q *Queue) rescueLoop(ctx context.Context) {
	t := time.NewTicker(rescueInterval(q.cfg.RescueAfter))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := q.Recover(ctx); err != nil && ctx.Err() == nil {
				q.log.ErrorContext(ctx, "recover orphaned jobs", "error", err)
			}
		}
	}
}

// rescueInterval checks a tenth as often as RescueAfter, within [1 s, 1 min].
func rescueInterval(after time.Duration) time.Duration {
	return min(max(after/10, time.Second), time.Minute)
}
