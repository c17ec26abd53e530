package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kilnhq/kiln/internal/auth"
	"github.com/kilnhq/kiln/internal/plan"
	"github.com/kilnhq/kiln/internal/store"
	"github.com/kilnhq/kiln/internal/target"
	"github.com/kilnhq/kiln/internal/uforge"
)

// imageOps is the life of an image that appliance images and scan images
// share: storing it with its spec and enqueueing it, refusing a duplicate,
// cancelling, deleting, listing and rendering it.
type imageOps struct {
	base
	queue     Queue
	artifacts Artifacts
	keyTTL    time.Duration // how long an unused download key works
}

func newImageOps(st store.Store, q Queue, arts Artifacts, cfg Config) imageOps {
	ttl := cfg.DownloadKeyTTL
	if ttl <= 0 {
		ttl = defaultKeyTTL
	}
	return imageOps{base: newBase(st, cfg), queue: q, artifacts: arts, keyTTL: ttl}
}

// startImage stores a queued image of owner u with its spec and enqueues its
// job, within u's quotas: images held, bytes stored and generations queued or
// running at once (the last keeps one user from filling the queue).
func (s *imageOps) startImage(ctx context.Context, u *store.User, img *store.Image, pl *plan.Plan) (*store.Image, error) {
	specJSON, err := pl.Marshal()
	if err != nil {
		return nil, err
	}
	key, err := auth.RandomToken(24)
	if err != nil {
		return nil, err
	}
	lim, err := s.limits(ctx, u)
	if err != nil {
		return nil, err
	}
	img.OwnerID = u.ID
	img.Spec, img.State, img.Message, img.DownloadKey = specJSON, store.ImageQueued, "Generation queued", key
	if err := s.store.CreateImage(ctx, img, lim); err != nil {
		return nil, fmt.Errorf("create image: %w", quotaRefusal(u.Login, err))
	}
	jobID, err := s.queue.Enqueue(ctx, img.ID)
	if err != nil {
		_, _ = s.store.FinishImage(context.WithoutCancel(ctx), img.ID, store.ImageOutcome{State: store.ImageError,
			Message: "Generation could not be queued", ErrorMsg: "the job queue refused the generation"})
		return nil, fmt.Errorf("enqueue image %d: %w", img.ID, err)
	}
	if err := s.store.SetImageJob(ctx, img.ID, jobID); err != nil {
		return nil, err
	}
	img.JobID = jobID
	return img, nil
}

// refuseDuplicate answers 409 while a generation of the same source and format runs.
func (s *imageOps) refuseDuplicate(ctx context.Context, applianceID, formatID, scanID int64) error {
	imgs, err := s.store.ListImages(ctx, store.ImageFilter{ApplianceID: applianceID, ScanID: scanID})
	if err != nil {
		return fmt.Errorf("list images: %w", err)
	}
	for _, img := range imgs {
		if !img.Terminal() && img.FormatID == formatID {
			f, _ := target.ByID(formatID)
			return conflict("image.running", "image %d (%s) of this source is already being generated; wait, cancel it, or regenerate with force=true", img.ID, f.Name)
		}
	}
	return nil
}

// nextRevision is the revision of a new image of a source: an appliance, or
// a scan (applianceID 0).
func (s *imageOps) nextRevision(ctx context.Context, applianceID, scanID int64) (int, error) {
	imgs, err := s.store.ListImages(ctx, store.ImageFilter{ApplianceID: applianceID, ScanID: scanID})
	if err != nil {
		return 0, fmt.Errorf("list images: %w", err)
	}
	rev := 0
	for _, img := range imgs {
		rev = max(rev, img.Revision)
	}
	return rev + 1, nil
}

// makeWay lets a regeneration of old start: a generation of the same source
// and format still running is cancelled when forced, else refused with 409.
func (s *imageOps) makeWay(ctx context.Context, old *store.Image, force bool) error {
	if !force {
		return s.refuseDuplicate(ctx, old.ApplianceID, old.FormatID, old.ScanID)
	}
	running, err := s.store.ListImages(ctx, store.ImageFilter{ApplianceID: old.ApplianceID, ScanID: old.ScanID})
	if err != nil {
		return err
	}
	for i := range running {
		if !running[i].Terminal() && running[i].FormatID == old.FormatID {
			if _, err := s.cancelImage(ctx, &running[i], "cancelled by a forced regeneration"); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *imageOps) cancelImage(ctx context.Context, img *store.Image, msg string) (*store.Image, error) {
	if _, err := s.store.FinishImage(ctx, img.ID, store.ImageOutcome{State: store.ImageCancelled, Message: msg}); err != nil {
		return nil, err
	}
	if img.JobID != 0 {
		if err := s.queue.Cancel(ctx, img.JobID); err != nil {
			s.log.Warn("cancel generation job", "image", img.ID, "job", img.JobID, "err", err)
		}
	}
	return s.store.GetImage(ctx, img.ID)
}

func (s *imageOps) deleteImage(ctx context.Context, img *store.Image) error {
	if !img.Terminal() {
		if _, err := s.cancelImage(ctx, img, "Generation cancelled: image deleted"); err != nil {
			return err
		}
	}
	if img.Artifact != "" {
		if err := s.artifacts.Delete(ctx, img.Artifact); err != nil {
			return fmt.Errorf("delete artifact of image %d: %w", img.ID, err)
		}
	}
	if err := s.store.DeleteImage(ctx, img.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return nil
}

func (s *imageOps) imageList(ctx context.Context, login string, imgs []store.Image, q Query) (*uforge.Images, error) {
	all := make([]uforge.Image, 0, len(imgs))
	for i := range imgs {
		all = append(all, *s.renderImage(ctx, login, &imgs[i]))
	}
	page, total, err := search(all, q)
	if err != nil {
		return nil, err
	}
	return &uforge.Images{Objects: uforge.Objects{Total: new(int64(total))}, Images: page}, nil
}

func filterByURI(login string, imgs []store.Image, uris []string) []store.Image {
	if len(uris) == 0 {
		return imgs
	}
	want := map[string]bool{}
	for _, u := range uris {
		want[trimURI(u)] = true
	}
	var out []store.Image
	for _, img := range imgs {
		if want[imageURI(login, &img)] {
			out = append(out, img)
		}
	}
	return out
}

func statusList(login string, imgs []store.Image) *uforge.OpStatuses {
	out := &uforge.OpStatuses{Objects: uforge.Objects{Total: new(int64(len(imgs)))}, Statuses: []uforge.OpStatus{}}
	for i := range imgs {
		out.Statuses = append(out.Statuses, *renderStatus(login, &imgs[i]))
	}
	return out
}
