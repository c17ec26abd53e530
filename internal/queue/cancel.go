package queue

import (
	"context"
)

// Cancel cancels a job. A queued job becomes cancelled at once and never runs
// (OnFinal is called). A running job has its handler's ctx cancelled: by this
// node at once when it runs here, by another node within about a second (River
// notifies it; SQLite's notifications are polled every 50 ms, PostgreSQL's are
// LISTEN/NOTIFY, and a 2 s poll of cancel requests backs both up); its job ends
// cancelled when the handler returns an error. A final job is left as it is.
// The returned Status is the job after the request.
func (q *Queue) Cancel(ctx context.Context, jobID int64) (Status, error) {
	before, err := q.Status(ctx, jobID)
	if err != nil {
		return Status{}, err
	}
	if before.State.Final() {
		return before, nil
	}
	row, err := q.be.client.JobCancel(ctx, jobID)
	if err != nil {
		return Status{}, q.jobErr(jobID, "cancel", err)
	}
	st := statusOf(row)
	if st.State == StateCancelled && before.State == StateQueued {
		q.final(ctx, st)
	}
	q.log.InfoContext(ctx, "cancel requested", "job_id", jobID, "image_id", st.ImageID, "state", st.State)
	return st, nil
}
