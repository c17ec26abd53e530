package service

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"time"

	"github.com/kilnhq/kiln/internal/auth"
	"github.com/kilnhq/kiln/internal/store"
)

// defaultKeyTTL is how long an unused download key works when the
// configuration says nothing.
const defaultKeyTTL = 24 * time.Hour

// Download is an image file opened for a client, with the name to serve it under.
type Download struct {
	Artifact
	FileName string
}

// noDownload is the one answer to every download link that does not work:
// no such user, image or appliance, a missing, wrong, used or expired key.
// Telling them apart would let anyone probe which images exist.
func noDownload() error {
	return notFound("download", "no image download matches this link (a downloadId works once and expires unused: read a fresh one from the image)")
}

// DownloadImage opens the artifact of image itid of appliance aid of user
// uid for the holder of its current download key (no credentials needed).
func (s *Images) DownloadImage(ctx context.Context, uid string, aid, itid int64, key string) (*Download, error) {
	return s.download(ctx, uid, itid, key, func(img *store.Image) bool { return img.ApplianceID == aid })
}

// download opens image itid of user uid for the holder of its download key,
// when the image is where the link says (at). The key is replaced before the
// file is returned, so the same link never works twice; a key nobody used
// for the configured time no longer works either.
func (s *imageOps) download(ctx context.Context, uid string, itid int64, key string, at func(*store.Image) bool) (*Download, error) {
	// Both lookups run whatever the first finds: the answer's timing says no
	// more than its content.
	img, ierr := s.store.GetImage(ctx, itid)
	owner, uerr := s.store.GetUser(ctx, uid)
	for _, err := range []error{ierr, uerr} {
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
	}
	if ierr != nil || uerr != nil || owner.ID != img.OwnerID || !at(img) || !s.keyMatches(img, key) {
		return nil, noDownload()
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
	if !swapped { // used by another request a moment ago
		return nil, noDownload()
	}
	a, err := s.artifacts.Open(ctx, img.Artifact)
	if err != nil {
		return nil, fmt.Errorf("open artifact of image %d: %w", img.ID, err)
	}
	return &Download{Artifact: a, FileName: artifactFileName(img)}, nil
}

// keyMatches reports whether key is img's current download key and still
// young enough to be used.
func (s *imageOps) keyMatches(img *store.Image, key string) bool {
	same := subtle.ConstantTimeCompare([]byte(key), []byte(img.DownloadKey)) == 1
	return key != "" && same && !s.keyExpired(img)
}

func (s *imageOps) keyExpired(img *store.Image) bool {
	return s.now().Sub(img.DownloadKeyIssued) > s.keyTTL
}

// freshKey gives img a new download key when its key expired unused, so
// that the owner reading the image always sees a link that works while a
// link given away long ago does not. A failure leaves the expired key (the
// link then answers 404) and is logged: reading the image still works.
func (s *imageOps) freshKey(ctx context.Context, img *store.Image) {
	if !img.Compress || !s.keyExpired(img) {
		return
	}
	fresh, err := auth.RandomToken(24)
	if err == nil {
		var swapped bool
		if swapped, err = s.store.SwapDownloadKey(ctx, img.ID, img.DownloadKey, fresh); swapped {
			img.DownloadKey, img.DownloadKeyIssued = fresh, s.now()
			return
		}
	}
	if err == nil { // another request replaced it first: show that one
		var cur *store.Image
		if cur, err = s.store.GetImage(ctx, img.ID); err == nil {
			img.DownloadKey, img.DownloadKeyIssued = cur.DownloadKey, cur.DownloadKeyIssued
			return
		}
	}
	s.log.Warn("renew an expired download key", "image", img.ID, "err", err)
}
