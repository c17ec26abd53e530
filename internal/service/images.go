package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/kilnhq/kiln/internal/spec"
	"github.com/kilnhq/kiln/internal/store"
	"github.com/kilnhq/kiln/internal/uforge"
)

// Images holds the use cases of appliance images: generate and regenerate,
// read, list, packages, download; statuses, cancel and delete
// (image_status.go).
type Images struct{ imageOps }

// NewImages returns the image use cases: images are stored in st, their
// generations enqueued on q, their files kept in arts.
func NewImages(st store.Store, q Queue, arts Artifacts, cfg Config) *Images {
	return &Images{newImageOps(st, q, arts, cfg)}
}

// GenerateImage starts a generation of appliance aid (machineImage_generate).
func (s *Images) GenerateImage(ctx context.Context, p *Principal, uid string, aid int64, req *uforge.Image) (*uforge.Image, error) {
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
	if err := s.refuseDuplicate(ctx, a.ID, f.ID, 0); err != nil {
		return nil, err
	}
	reqJSON, _ := json.Marshal(requestEcho(req))
	revision, err := s.nextRevision(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	img, err := s.startImage(ctx, &store.Image{OwnerID: u.ID, ApplianceID: a.ID, FormatID: f.ID, Name: a.Name,
		Version: a.Version, Revision: revision, Compress: sp.Output.Compress, Request: reqJSON}, sp)
	if err != nil {
		return nil, err
	}
	return s.renderImage(u.Login, img), nil
}

// RegenerateImage re-executes the stored spec of image itid as a new image
// (machineImage_regenerate): new id, revision + 1. With force, a generation of
// the same appliance and format still running is cancelled first; without, 409.
func (s *Images) RegenerateImage(ctx context.Context, p *Principal, uid string, aid, itid int64, force bool) (*uforge.Image, error) {
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
	var sp spec.Spec
	if err := json.Unmarshal(old.Spec, &sp); err != nil {
		return nil, fmt.Errorf("image %d: stored spec: %w", old.ID, err)
	}
	revision, err := s.nextRevision(ctx, aid)
	if err != nil {
		return nil, err
	}
	img, err := s.startImage(ctx, &store.Image{OwnerID: u.ID, ApplianceID: aid, FormatID: old.FormatID, Name: old.Name,
		Version: old.Version, Revision: revision, Compress: old.Compress, Request: old.Request}, &sp)
	if err != nil {
		return nil, err
	}
	return s.renderImage(u.Login, img), nil
}

// ownedImage loads image itid of appliance aid of user uid. The image row
// names its owner and appliance, so the appliance itself is not read: status
// polling stays one user and one image lookup.
func (s *Images) ownedImage(ctx context.Context, p *Principal, uid string, aid, itid int64) (*store.User, *store.Image, error) {
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
func (s *Images) GetImage(ctx context.Context, p *Principal, uid string, aid, itid int64) (*uforge.Image, error) {
	u, img, err := s.ownedImage(ctx, p, uid, aid, itid)
	if err != nil {
		return nil, err
	}
	return s.renderImage(u.Login, img), nil
}

// ListApplianceImages returns the images of an appliance matching q.
func (s *Images) ListApplianceImages(ctx context.Context, p *Principal, uid string, aid int64, q Query) (*uforge.Images, error) {
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
func (s *Images) UserImages(ctx context.Context, p *Principal, uid string, uris []string) (*uforge.Images, error) {
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

// ImagePackages lists the packages installed in a finished image.
func (s *Images) ImagePackages(ctx context.Context, p *Principal, uid string, aid, itid int64) (*uforge.ImagePkgs, error) {
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
	var sp spec.Spec
	_ = json.Unmarshal(img.Spec, &sp)
	requested := map[string]bool{}
	for _, pk := range sp.Packages {
		requested[pk.Name] = true
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
