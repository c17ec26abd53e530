package build

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/kilnhq/kiln/internal/generate"
	"github.com/kilnhq/kiln/internal/plan"
	"github.com/kilnhq/kiln/internal/run"
	"github.com/kilnhq/kiln/internal/store"
)

// progressEvery bounds how often a generation writes its progress: clients
// poll every 2 s, so more often only costs database writes.
const progressEvery = time.Second

// Run executes the generation of image id: the queue's job handler. It
// returns nil when the image reached a terminal state on purpose (complete,
// cancelled, or an error in the build itself), and an error only when the job
// should be retried (the process is shutting down).
func (r *Runner) Run(ctx context.Context, id int64) error {
	img, err := r.store.GetImage(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil // deleted while queued
	}
	if err != nil {
		return fmt.Errorf("generation of image %d: %w", id, err)
	}
	if img.Terminal() {
		return nil // cancelled before it started
	}
	pl, err := plan.Decode(img.Spec)
	if err != nil {
		return r.fail(img, "the stored plan is unreadable", err)
	}
	// A build that fills the disk fails late and takes the database and
	// everyone's builds with it: refuse it before it starts.
	release, err := r.checkSpace(pl)
	if err != nil {
		return r.fail(img, "Not enough free disk space on the build host", err)
	}
	defer release()
	if _, err := r.store.ImageProgress(ctx, id, 0, "Generation started"); err != nil {
		return err
	}
	out, err := generate.Workspace(r.workDir, fmt.Sprintf("image-%d", id))
	if err != nil {
		return r.fail(img, "Generation failed", err)
	}
	defer os.RemoveAll(out)

	// Progress goes to the database at most once a second, and a cancel seen
	// there (another node, or a delete) stops the build.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	res, err := r.engine.Run(ctx, pl, out, r.progress(ctx, id, cancel))
	if err != nil {
		if run.IsCanceled(err) {
			// A user cancel or a delete already made the image terminal. Otherwise
			// the process is shutting down: the job is left to be retried.
			if cur, gerr := r.store.GetImage(context.WithoutCancel(ctx), id); gerr != nil || cur.Terminal() {
				return nil
			}
			return fmt.Errorf("generation of image %d interrupted: %w", id, err)
		}
		return r.fail(img, "Generation failed", err)
	}
	return r.finish(ctx, img, res)
}

// progress writes the engine's updates to the store, at most once every
// progressEvery (the last one always), and calls cancel once the image is
// terminal: cancelled or deleted.
func (r *Runner) progress(ctx context.Context, id int64, cancel func()) generate.Progress {
	var mu sync.Mutex
	var last time.Time
	return func(u generate.Update) {
		mu.Lock()
		defer mu.Unlock()
		if u.Stage != generate.StageDone && time.Since(last) < progressEvery {
			return
		}
		last = time.Now()
		ok, err := r.store.ImageProgress(context.WithoutCancel(ctx), id, min(u.Percent, 99), stageMessage(u))
		if err == nil && !ok {
			cancel()
		}
	}
}

// finish stores the artifact and completes the image with what it holds.
func (r *Runner) finish(ctx context.Context, img *store.Image, res *generate.Result) error {
	key := fmt.Sprintf("images/%d/%s", img.ID, filepath.Base(res.Path))
	size, sum, err := r.artifacts.PutFile(ctx, key, res.Path, res.SHA256)
	if err != nil {
		return r.fail(img, "Storing the image failed", err)
	}
	pkgs, _ := json.Marshal(res.Packages)
	var fidelity []byte
	if res.Fidelity != nil {
		fidelity, _ = json.Marshal(res.Fidelity)
	}
	done, err := r.store.FinishImage(context.WithoutCancel(ctx), img.ID, store.ImageOutcome{State: store.ImageComplete,
		Message: completeMessage(res), Artifact: key, FileSize: size, SHA256: sum, Packages: pkgs, Fidelity: fidelity})
	if err != nil {
		return err
	}
	if !done { // cancelled at the last moment: drop the artifact
		_ = r.artifacts.Delete(context.WithoutCancel(ctx), key)
	}
	r.log.Info("image generated", "image", img.ID, "size", size, "cache_hit", res.CacheHit)
	return nil
}

// completeMessage is the final status message; for scan images it says how
// close the image is to the scanned machine.
func completeMessage(res *generate.Result) string {
	f := res.Fidelity
	if f == nil {
		return "Generation complete"
	}
	return fmt.Sprintf("Generation complete: %d of %d scanned files and %d of %d packages identical (see the fidelity report)",
		f.Files.Same, f.Files.Compared, f.Packages.Same, f.Packages.Compared)
}

// fail records a build error with a message clients print and the tool's
// output as the detail.
func (r *Runner) fail(img *store.Image, msg string, cause error) error {
	r.log.Warn("generation failed", "image", img.ID, "err", cause)
	detail := cause.Error()
	short := detail
	if s := []rune(short); len(s) > 300 { // the detail keeps all of it
		short = string(s[:300]) + "…"
	}
	_, err := r.store.FinishImage(context.Background(), img.ID, store.ImageOutcome{State: store.ImageError,
		Message: msg, ErrorMsg: short, DetailedErr: detail})
	return err
}

func stageMessage(u generate.Update) string {
	if u.Message == "" {
		return string(u.Stage)
	}
	return u.Message
}
