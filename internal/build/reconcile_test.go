package build_test

import (
	"context"
	"errors"
	"testing"

	"github.com/kilnhq/kiln/internal/build"
	"github.com/kilnhq/kiln/internal/store"
)

func TestJobFinished(t *testing.T) {
	for _, tc := range []struct {
		name, state, errMsg string
		want                store.ImageOutcome
	}{
		{name: "cancelled while queued", state: build.JobCancelled,
			want: store.ImageOutcome{State: store.ImageCancelled, Message: "Generation cancelled"}},
		{name: "failed with a reason", state: build.JobFailed, errMsg: "job timed out",
			want: store.ImageOutcome{State: store.ImageError, Message: "Generation failed",
				ErrorMsg: "the generation did not finish: job timed out", DetailedErr: "job timed out"}},
		{name: "worker died", state: build.JobFailed,
			want: store.ImageOutcome{State: store.ImageError, Message: "Generation failed",
				ErrorMsg: "the generation did not finish (its worker stopped)"}},
		{name: "completed without an image", state: build.JobCompleted,
			want: store.ImageOutcome{State: store.ImageError, Message: "Generation failed",
				ErrorMsg: "the generation job ended as completed without producing the image"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			st, a := openStore(t)
			img := newImage(t, st, a, nil)
			if err := build.NewReconciler(st, nil).JobFinished(ctx, img.ID, tc.state, tc.errMsg); err != nil {
				t.Fatal(err)
			}
			got := getImage(t, st, img.ID)
			if got.State != tc.want.State || got.Message != tc.want.Message || got.ErrorMsg != tc.want.ErrorMsg || got.DetailedErr != tc.want.DetailedErr {
				t.Errorf("image: %s %q %q %q, want %+v", got.State, got.Message, got.ErrorMsg, got.DetailedErr, tc.want)
			}
		})
	}
}

func TestJobFinishedLeavesSettledImagesAlone(t *testing.T) {
	ctx := context.Background()
	st, a := openStore(t)
	img := newImage(t, st, a, nil)
	if _, err := st.FinishImage(ctx, img.ID, store.ImageOutcome{State: store.ImageComplete, Message: "Generation complete"}); err != nil {
		t.Fatal(err)
	}
	r := build.NewReconciler(st, nil)
	if err := r.JobFinished(ctx, img.ID, build.JobFailed, "late news"); err != nil {
		t.Fatal(err)
	}
	if got := getImage(t, st, img.ID); got.State != store.ImageComplete || got.ErrorMsg != "" {
		t.Errorf("a complete image became %s (%q)", got.State, got.ErrorMsg)
	}
	if err := r.JobFinished(ctx, img.ID+100, build.JobFailed, ""); err != nil {
		t.Errorf("JobFinished of a deleted image = %v, want nil", err)
	}
}

func TestReconcile(t *testing.T) {
	ctx := context.Background()
	st, a := openStore(t)
	// job id → the state the queue reports for it
	jobs := map[int64]string{1: build.JobCancelled, 2: build.JobFailed, 3: "", 4: "broken"}
	images := map[int64]*store.Image{}
	for job := range jobs {
		img := newImage(t, st, a, nil)
		if err := st.SetImageJob(ctx, img.ID, job); err != nil {
			t.Fatal(err)
		}
		images[job] = img
	}
	if _, err := st.ImageProgress(ctx, images[2].ID, 40, "disk"); err != nil { // running, not only queued
		t.Fatal(err)
	}
	noJob := newImage(t, st, a, nil) // enqueueing failed half-way: nothing to ask
	asked := map[int64]bool{}
	n, err := build.NewReconciler(st, nil).Reconcile(ctx, func(_ context.Context, jobID int64) (string, string, error) {
		asked[jobID] = true
		if jobs[jobID] == "broken" {
			return "", "", errors.New("queue unreachable")
		}
		return jobs[jobID], "worker lost", nil
	})
	if err != nil || n != 2 {
		t.Fatalf("Reconcile = %d, %v; want 2 images settled", n, err)
	}
	if len(asked) != 4 || asked[0] {
		t.Errorf("jobs asked about: %v, want 1 to 4 and never job 0", asked)
	}
	for job, want := range map[int64]string{1: store.ImageCancelled, 2: store.ImageError, 3: store.ImageQueued, 4: store.ImageQueued} {
		if got := getImage(t, st, images[job].ID); got.State != want {
			t.Errorf("image of job %d (%s) is %s, want %s", job, jobs[job], got.State, want)
		}
	}
	if got := getImage(t, st, noJob.ID); got.State != store.ImageQueued {
		t.Errorf("image without a job became %s", got.State)
	}
}
