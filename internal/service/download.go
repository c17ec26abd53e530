package service

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"

	"github.com/kilnhq/kiln/internal/auth"
	"github.com/kilnhq/kiln/internal/store"
)

// Download is an image file opened for a client, with the name to serve it under.
type Download struct {
	Artifact
	FileName string
}

// DownloadImage opens the artifact of image itid for the holder of its current
// single-use download key (no credentials needed). The key is replaced before
// the file is returned, so the same link never works twice.
func (s *Images) DownloadImage(ctx context.Context, uid string, aid, itid int64, key string) (*Download, error) {
	img, err := s.store.GetImage(ctx, itid)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("image", "image %d does not exist", itid)
	}
	if err != nil {
		return nil, err
	}
	owner, err := s.store.GetUser(ctx, uid)
	if err != nil || owner.ID != img.OwnerID || img.ApplianceID != aid {
		return nil, notFound("image", "image %d does not exist", itid)
	}
	return s.download(ctx, img, key)
}

func (s *imageOps) download(ctx context.Context, img *store.Image, key string) (*Download, error) {
	if key == "" {
		return nil, forbidden("download.key", "a downloadId is required (read it from the image's downloadKey)")
	}
	if subtle.ConstantTimeCompare([]byte(key), []byte(img.DownloadKey)) != 1 {
		return nil, forbidden("download.key", "this downloadId is not valid (it is single-use: read a fresh one from the image)")
	}
	if !img.Compress {
		return nil, conflict("download.notCompressed", "image %d was generated without compress=true: it can be published, not downloaded", img.ID)
	}
	if img.State != store.ImageComplete {
		return nil, conflict("download.notReady", "image %d is not complete (it is %s)", img.ID, img.State)
	}
	fresh, err := auth.RandomToken(24)
	if err != nil {
		return nil, err
	}
	swapped, err := s.store.SwapDownloadKey(ctx, img.ID, key, fresh)
	if err != nil {
		return nil, err
	}
	if !swapped {
		return nil, forbidden("download.key", "this downloadId was just used (it is single-use: read a fresh one from the image)")
	}
	a, err := s.artifacts.Open(ctx, img.Artifact)
	if err != nil {
		return nil, fmt.Errorf("open artifact of image %d: %w", img.ID, err)
	}
	return &Download{Artifact: a, FileName: artifactFileName(img)}, nil
}
