package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/kilnhq/kiln/internal/auth"
	"github.com/kilnhq/kiln/internal/generate"
	"github.com/kilnhq/kiln/internal/plan"
	"github.com/kilnhq/kiln/internal/store"
	"github.com/kilnhq/kiln/internal/target"
	"github.com/kilnhq/kiln/internal/uforge"
)

// Queue runs generations durably (internal/queue).
type Queue interface {
	Enqueue(ctx context.Context, imageID int64) (jobID int64, err error)
	Cancel(ctx context.Context, jobID int64) error
}

// Generator executes a plan (internal/generate's Engine).
type Generator interface {
	Run(ctx context.Context, p *plan.Plan, outDir string, progress generate.Progress) (*generate.Result, error)
}

// Artifact is a stored image file, opened for download.
type Artifact interface {
	io.ReadSeekCloser
	Size() int64
	SHA256() string
	ModTime() time.Time
}

// Artifacts stores finished images (internal/artifact).
type Artifacts interface {
	// PutFile moves a finished file in; sha256 is passed when already known.
	PutFile(ctx context.Context, key, path, sha256 string) (size int64, sum string, err error)
	Open(ctx context.Context, key string) (Artifact, error)
	Delete(ctx context.Context, key string) error
}

// Images wires the image use cases to their queue, engine and artifact store.
type Images struct {
	Queue     Queue
	Generator Generator
	Artifacts Artifacts
	WorkDir   string // where builds write artifacts before they are stored
}

// UseImages enables the image use cases.
func (s *Service) UseImages(im Images) { s.images = im }

func (s *Service) imagesReady() error {
	if s.images.Queue == nil || s.images.Artifacts == nil {
		return &Error{Kind: KindUnavailable, ID: "images.unavailable", Msg: "image generation is not configured on this server"}
	}
	return nil
}

// GenerateImage starts a generation of appliance aid (machineImage_generate).
func (s *Service) GenerateImage(ctx context.Context, p *Principal, uid string, aid int64, req *uforge.Image) (*uforge.Image, error) {
	if err := s.imagesReady(); err != nil {
		return nil, err
	}
	u, a, d, err := s.owned(ctx, p, uid, aid)
	if err != nil {
		return nil, err
	}
	f, err := resolveTargetFormat(req.TargetFormat)
	if err != nil {
		return nil, err
	}
	sp, err := applianceSpec(a, d, f, req)
	if err != nil {
		return nil, err
	}
	pl, err := planImage(sp, "appliance")
	if err != nil {
		return nil, err
	}
	if err := s.refuseDuplicate(ctx, a.ID, f.ID, 0); err != nil {
		return nil, err
	}
	reqJSON, _ := json.Marshal(requestEcho(req))
	revision, err := s.nextRevision(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	img, err := s.startImage(ctx, &store.Image{OwnerID: u.ID, ApplianceID: a.ID, FormatID: f.ID, Name: a.Name,
		Version: a.Version, Revision: revision, Compress: sp.Output.Compress, Request: reqJSON}, pl)
	if err != nil {
		return nil, err
	}
	return s.renderImage(u.Login, img), nil
}

// RegenerateImage generates image itid again as a new image
// (machineImage_regenerate): new id, revision + 1. As UForge says, "the
// meta-data of the previous generation request will be re-used": the earlier
// request (format, compress, install-profile overrides) is planned against the
// appliance as it is now. With reproduce (a Kiln extension) the stored plan is
// executed unchanged instead. With force, a generation of the same appliance
// and format still running is cancelled first; without, 409.
func (s *Service) RegenerateImage(ctx context.Context, p *Principal, uid string, aid, itid int64, force, reproduce bool) (*uforge.Image, error) {
	if err := s.imagesReady(); err != nil {
		return nil, err
	}
	u, old, err := s.ownedImage(ctx, p, uid, aid, itid)
	if err != nil {
		return nil, err
	}
	if force {
		running, err := s.store.ListImages(ctx, store.ImageFilter{ApplianceID: aid})
		if err != nil {
			return nil, err
		}
		for i := range running {
			if !running[i].Terminal() && running[i].FormatID == old.FormatID {
				if _, err := s.cancelImage(ctx, &running[i], "cancelled by a forced regeneration"); err != nil {
					return nil, err
				}
			}
		}
	} else if err := s.refuseDuplicate(ctx, aid, old.FormatID, 0); err != nil {
		return nil, err
	}
	pl, err := s.regenerationPlan(ctx, p, uid, old, reproduce)
	if err != nil {
		return nil, err
	}
	revision, err := s.nextRevision(ctx, aid)
	if err != nil {
		return nil, err
	}
	img, err := s.startImage(ctx, &store.Image{OwnerID: u.ID, ApplianceID: aid, FormatID: old.FormatID, Name: pl.Spec.Name,
		Version: pl.Spec.ImageVersion, Revision: revision, Compress: old.Compress, Request: old.Request}, pl)
	if err != nil {
		return nil, err
	}
	return s.renderImage(u.Login, img), nil
}

// regenerationPlan is the plan of a regeneration of old: its stored plan
// when reproducing, else its request planned against the appliance as it is
// now (refused, as a generation is, when the appliance has no OS profile).
func (s *Service) regenerationPlan(ctx context.Context, p *Principal, uid string, old *store.Image, reproduce bool) (*plan.Plan, error) {
	if reproduce {
		pl, err := plan.Decode(old.Spec)
		if err != nil {
			return nil, fmt.Errorf("image %d: %w", old.ID, err)
		}
		return pl, nil
	}
	_, a, d, err := s.owned(ctx, p, uid, old.ApplianceID)
	if err != nil {
		return nil, err
	}
	f, ok := target.ByID(old.FormatID)
	if !ok || !f.Active {
		return nil, invalid("image.formatInactive", "image %d: its target format cannot be generated by this Kiln", old.ID)
	}
	req := &uforge.Image{Compress: new(old.Compress)}
	if len(old.Request) > 0 {
		if err := json.Unmarshal(old.Request, req); err != nil {
			return nil, fmt.Errorf("image %d: stored request: %w", old.ID, err)
		}
	}
	sp, err := applianceSpec(a, d, f, req)
	if err != nil {
		return nil, err
	}
	return planImage(sp, "appliance")
}

// startImage stores a queued image with its plan and enqueues its job.
func (s *Service) startImage(ctx context.Context, img *store.Image, pl *plan.Plan) (*store.Image, error) {
	specJSON, err := pl.Marshal()
	if err != nil {
		return nil, err
	}
	key, err := auth.RandomToken(24)
	if err != nil {
		return nil, err
	}
	img.Spec, img.State, img.Message, img.DownloadKey = specJSON, store.ImageQueued, "Generation queued", key
	if err := s.store.CreateImage(ctx, img); err != nil {
		return nil, fmt.Errorf("create image: %w", err)
	}
	jobID, err := s.images.Queue.Enqueue(ctx, img.ID)
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
func (s *Service) refuseDuplicate(ctx context.Context, applianceID, formatID, scanID int64) error {
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

func (s *Service) nextRevision(ctx context.Context, applianceID int64) (int, error) {
	imgs, err := s.store.ListImages(ctx, store.ImageFilter{ApplianceID: applianceID})
	if err != nil {
		return 0, fmt.Errorf("list images: %w", err)
	}
	rev := 0
	for _, img := range imgs {
		rev = max(rev, img.Revision)
	}
	return rev + 1, nil
}

// ownedImage loads image itid of appliance aid of user uid. The image row
// names its owner and appliance, so the appliance itself is not read: status
// polling stays one user and one image lookup.
func (s *Service) ownedImage(ctx context.Context, p *Principal, uid string, aid, itid int64) (*store.User, *store.Image, error) {
	u, err := s.targetUser(ctx, p, uid)
	if err != nil {
		return nil, nil, err
	}
	img, err := s.store.GetImage(ctx, itid)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (img.ApplianceID != aid || img.OwnerID != u.ID)) {
		return nil, nil, notFound("image", "image %d of appliance %d does not exist", itid, aid)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("get image: %w", err)
	}
	return u, img, nil
}

// GetImage returns one image of an appliance.
func (s *Service) GetImage(ctx context.Context, p *Principal, uid string, aid, itid int64) (*uforge.Image, error) {
	u, img, err := s.ownedImage(ctx, p, uid, aid, itid)
	if err != nil {
		return nil, err
	}
	return s.renderImage(u.Login, img), nil
}

// ListApplianceImages returns the images of an appliance matching q.
func (s *Service) ListApplianceImages(ctx context.Context, p *Principal, uid string, aid int64, q Query) (*uforge.Images, error) {
	u, _, _, err := s.owned(ctx, p, uid, aid)
	if err != nil {
		return nil, err
	}
	imgs, err := s.store.ListImages(ctx, store.ImageFilter{OwnerID: u.ID, ApplianceID: aid})
	if err != nil {
		return nil, fmt.Errorf("list images: %w", err)
	}
	return s.imageList(u.Login, imgs, q)
}

// UserImages returns every image of uid (from appliances and scans), or those
// whose uri is in uris when given (userMachineImage_getAll ?img=).
func (s *Service) UserImages(ctx context.Context, p *Principal, uid string, uris []string) (*uforge.Images, error) {
	u, err := s.targetUser(ctx, p, uid)
	if err != nil {
		return nil, err
	}
	imgs, err := s.store.ListImages(ctx, store.ImageFilter{OwnerID: u.ID})
	if err != nil {
		return nil, fmt.Errorf("list images: %w", err)
	}
	imgs = filterByURI(u.Login, imgs, uris)
	return s.imageList(u.Login, imgs, Query{})
}

func (s *Service) imageList(login string, imgs []store.Image, q Query) (*uforge.Images, error) {
	all := make([]uforge.Image, 0, len(imgs))
	for i := range imgs {
		all = append(all, *s.renderImage(login, &imgs[i]))
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

// ImageStatus returns the status of one image.
func (s *Service) ImageStatus(ctx context.Context, p *Principal, uid string, aid, itid int64) (*uforge.OpStatus, error) {
	u, img, err := s.ownedImage(ctx, p, uid, aid, itid)
	if err != nil {
		return nil, err
	}
	return renderStatus(u.Login, img), nil
}

// ApplianceImageStatuses returns the statuses of every image of an appliance.
func (s *Service) ApplianceImageStatuses(ctx context.Context, p *Principal, uid string, aid int64) (*uforge.OpStatuses, error) {
	u, _, _, err := s.owned(ctx, p, uid, aid)
	if err != nil {
		return nil, err
	}
	imgs, err := s.store.ListImages(ctx, store.ImageFilter{OwnerID: u.ID, ApplianceID: aid})
	if err != nil {
		return nil, err
	}
	return statusList(u.Login, imgs), nil
}

// UserImageStatuses returns the statuses of the images named by uris (all when empty).
func (s *Service) UserImageStatuses(ctx context.Context, p *Principal, uid string, uris []string) (*uforge.OpStatuses, error) {
	u, err := s.targetUser(ctx, p, uid)
	if err != nil {
		return nil, err
	}
	imgs, err := s.store.ListImages(ctx, store.ImageFilter{OwnerID: u.ID})
	if err != nil {
		return nil, err
	}
	return statusList(u.Login, filterByURI(u.Login, imgs, uris)), nil
}

func statusList(login string, imgs []store.Image) *uforge.OpStatuses {
	out := &uforge.OpStatuses{Objects: uforge.Objects{Total: new(int64(len(imgs)))}, Statuses: []uforge.OpStatus{}}
	for i := range imgs {
		out.Statuses = append(out.Statuses, *renderStatus(login, &imgs[i]))
	}
	return out
}

// CancelImage stops a running generation; the image stays listed as cancelled.
func (s *Service) CancelImage(ctx context.Context, p *Principal, uid string, aid, itid int64) (*uforge.OpStatus, error) {
	u, img, err := s.ownedImage(ctx, p, uid, aid, itid)
	if err != nil {
		return nil, err
	}
	if img.Terminal() {
		return nil, conflict("image.notRunning", "image %d is not being generated (it is %s)", img.ID, img.State)
	}
	img, err = s.cancelImage(ctx, img, "Generation cancelled")
	if err != nil {
		return nil, err
	}
	return renderStatus(u.Login, img), nil
}

func (s *Service) cancelImage(ctx context.Context, img *store.Image, msg string) (*store.Image, error) {
	if _, err := s.store.FinishImage(ctx, img.ID, store.ImageOutcome{State: store.ImageCancelled, Message: msg}); err != nil {
		return nil, err
	}
	if img.JobID != 0 && s.images.Queue != nil {
		if err := s.images.Queue.Cancel(ctx, img.JobID); err != nil {
			s.log.Warn("cancel generation job", "image", img.ID, "job", img.JobID, "err", err)
		}
	}
	return s.store.GetImage(ctx, img.ID)
}

// DeleteImage removes an image and its artifact; a running generation is cancelled first.
func (s *Service) DeleteImage(ctx context.Context, p *Principal, uid string, aid, itid int64) error {
	_, img, err := s.ownedImage(ctx, p, uid, aid, itid)
	if err != nil {
		return err
	}
	return s.deleteImage(ctx, img)
}

// DeleteApplianceImages removes every image of an appliance.
func (s *Service) DeleteApplianceImages(ctx context.Context, p *Principal, uid string, aid int64) error {
	u, _, _, err := s.owned(ctx, p, uid, aid)
	if err != nil {
		return err
	}
	imgs, err := s.store.ListImages(ctx, store.ImageFilter{OwnerID: u.ID, ApplianceID: aid})
	if err != nil {
		return err
	}
	for i := range imgs {
		if err := s.deleteImage(ctx, &imgs[i]); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) deleteImage(ctx context.Context, img *store.Image) error {
	if !img.Terminal() {
		if _, err := s.cancelImage(ctx, img, "Generation cancelled: image deleted"); err != nil {
			return err
		}
	}
	if img.Artifact != "" && s.images.Artifacts != nil {
		if err := s.images.Artifacts.Delete(ctx, img.Artifact); err != nil {
			return fmt.Errorf("delete artifact of image %d: %w", img.ID, err)
		}
	}
	if err := s.store.DeleteImage(ctx, img.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return nil
}

// ImagePackages lists the packages installed in a finished image.
func (s *Service) ImagePackages(ctx context.Context, p *Principal, uid string, aid, itid int64) (*uforge.ImagePkgs, error) {
	_, img, err := s.ownedImage(ctx, p, uid, aid, itid)
	if err != nil {
		return nil, err
	}
	var installed []struct{ Name, Version, Arch string }
	if len(img.Packages) > 0 {
		if err := json.Unmarshal(img.Packages, &installed); err != nil {
			return nil, fmt.Errorf("image %d: packages: %w", img.ID, err)
		}
	}
	// Level 0: what the plan installs by name; level 1: what came as a dependency.
	requested := map[string]bool{}
	if pl, err := plan.Decode(img.Spec); err == nil {
		for _, pk := range pl.Packages {
			requested[pk.Name] = true
		}
	}
	out := &uforge.ImagePkgs{Objects: uforge.Objects{Total: new(int64(len(installed)))}, ImagePkgs: []uforge.ImagePkg{}}
	for _, pk := range installed {
		level := 1 // pulled in as a dependency
		if requested[pk.Name] {
			level = 0
		}
		out.ImagePkgs = append(out.ImagePkgs, uforge.ImagePkg{Level: new(level), NativeFromDistribution: new(true),
			Pkg: &uforge.Pkg{Name: new(pk.Name), Version: new(pk.Version), Arch: new(pk.Arch), Type: new("deb")}})
	}
	return out, nil
}
