package service

import (
	"context"

	"github.com/kilnhq/kiln/internal/store"
	"github.com/kilnhq/kiln/internal/uforge"
)

// ImageStatus returns the status of one image.
func (s *Images) ImageStatus(ctx context.Context, p *Principal, uid string, aid, itid int64) (*uforge.OpStatus, error) {
	u, img, err := s.ownedImage(ctx, p, uid, aid, itid)
	if err != nil {
		return nil, err
	}
	return renderStatus(u.Login, img), nil
}

// ApplianceImageStatuses returns the statuses of every image of an appliance.
func (s *Images) ApplianceImageStatuses(ctx context.Context, p *Principal, uid string, aid int64) (*uforge.OpStatuses, error) {
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
func (s *Images) UserImageStatuses(ctx context.Context, p *Principal, uid string, uris []string) (*uforge.OpStatuses, error) {
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

// CancelImage stops a running generation; the image stays listed as cancelled.
func (s *Images) CancelImage(ctx context.Context, p *Principal, uid string, aid, itid int64) (*uforge.OpStatus, error) {
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

// DeleteImage removes an image and its artifact; a running generation is cancelled first.
func (s *Images) DeleteImage(ctx context.Context, p *Principal, uid string, aid, itid int64) error {
	_, img, err := s.ownedImage(ctx, p, uid, aid, itid)
	if err != nil {
		return err
	}
	return s.deleteImage(ctx, img)
}

// DeleteApplianceImages removes every image of an appliance.
func (s *Images) DeleteApplianceImages(ctx context.Context, p *Principal, uid string, aid int64) error {
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
