package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/kilnhq/kiln/internal/store"
)

func testImages(t *testing.T, s store.Store) {
	ctx := context.Background()
	u := newUser(t, ctx, s, "imager")
	a := &store.Appliance{OwnerID: u.ID, Name: "web", Version: "1", Doc: []byte(`{}`)}
	if err := s.CreateAppliance(ctx, a, store.Unlimited()); err != nil {
		t.Fatal(err)
	}
	img := &store.Image{OwnerID: u.ID, ApplianceID: a.ID, FormatID: 1, Name: "web", Version: "1", Revision: 1,
		Compress: true, Spec: []byte(`{"version":1}`), Request: []byte(`{}`), State: store.ImageQueued,
		Message: "queued", DownloadKey: "k1"}
	if err := s.CreateImage(ctx, img, store.Unlimited()); err != nil {
		t.Fatal(err)
	}
	if img.ID == 0 || img.Created.IsZero() {
		t.Fatalf("CreateImage did not set ID/Created: %+v", img)
	}
	got, err := s.GetImage(ctx, img.ID)
	if err != nil || got.ApplianceID != a.ID || got.ScanID != 0 || string(got.Spec) != `{"version":1}` || !got.Compress || got.Started.IsZero() == false {
		t.Fatalf("GetImage = %+v, %v", got, err)
	}
	if err := s.SetImageJob(ctx, img.ID, 77); err != nil {
		t.Fatal(err)
	}
	ok, err := s.ImageProgress(ctx, img.ID, 40, "disk")
	if err != nil || !ok {
		t.Fatalf("ImageProgress = %v, %v", ok, err)
	}
	got, _ = s.GetImage(ctx, img.ID)
	if got.State != store.ImageRunning || got.Percentage != 40 || got.JobID != 77 || got.Started.IsZero() {
		t.Fatalf("after progress: %+v", got)
	}
	// Single-use download keys: only the current key can be swapped, and the
	// new one counts as issued when it was swapped in (keys expire unused).
	if got.DownloadKeyIssued.IsZero() || !got.DownloadKeyIssued.Equal(img.DownloadKeyIssued) {
		t.Fatalf("DownloadKeyIssued = %v, want %v", got.DownloadKeyIssued, img.DownloadKeyIssued)
	}
	beforeSwap := time.Now()
	if ok, _ := s.SwapDownloadKey(ctx, img.ID, "k1", "k2"); !ok {
		t.Fatal("swap of the current key refused")
	}
	if got, _ := s.GetImage(ctx, img.ID); got.DownloadKey != "k2" {
		t.Fatalf("after the swap the key is %q", got.DownloadKey)
	} else {
		within(t, "DownloadKeyIssued after a swap", got.DownloadKeyIssued, beforeSwap, time.Now())
	}
	if ok, _ := s.SwapDownloadKey(ctx, img.ID, "k1", "k3"); ok {
		t.Fatal("a used key was swapped again")
	}
	// Terminal once: a late completion does not overwrite a cancel.
	if ok, err := s.FinishImage(ctx, img.ID, store.ImageOutcome{State: store.ImageCancelled, Message: "cancelled"}); !ok || err != nil {
		t.Fatalf("cancel: %v %v", ok, err)
	}
	if ok, _ := s.FinishImage(ctx, img.ID, store.ImageOutcome{State: store.ImageComplete, Artifact: "x"}); ok {
		t.Fatal("a cancelled image was completed")
	}
	if ok, _ := s.ImageProgress(ctx, img.ID, 50, "late"); ok {
		t.Fatal("a cancelled image took progress")
	}
	if _, err := s.FinishImage(ctx, img.ID, store.ImageOutcome{State: "running"}); err == nil {
		t.Fatal("a non-terminal outcome was accepted")
	}
	img2 := &store.Image{OwnerID: u.ID, ApplianceID: a.ID, FormatID: 7, Name: "web", Revision: 2, Spec: []byte(`{}`), State: store.ImageQueued}
	if err := s.CreateImage(ctx, img2, store.Unlimited()); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.FinishImage(ctx, img2.ID, store.ImageOutcome{State: store.ImageComplete, Artifact: "images/2", FileSize: 9,
		SHA256: "ab", Packages: []byte(`[]`)}); !ok {
		t.Fatal("complete refused")
	}
	got, _ = s.GetImage(ctx, img2.ID)
	if got.State != store.ImageComplete || got.Percentage != 100 || got.Artifact != "images/2" || got.Finished.IsZero() {
		t.Fatalf("completed image = %+v", got)
	}
	list, err := s.ListImages(ctx, store.ImageFilter{OwnerID: u.ID, ApplianceID: a.ID})
	if err != nil || len(list) != 2 || list[0].ID != img.ID {
		t.Fatalf("ListImages = %d images, %v", len(list), err)
	}
	if list, _ := s.ListImages(ctx, store.ImageFilter{State: store.ImageComplete, OwnerID: u.ID}); len(list) != 1 {
		t.Fatalf("state filter: %d images", len(list))
	}
	// Deleting the appliance deletes its images.
	if err := s.DeleteAppliance(ctx, u.ID, a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetImage(ctx, img2.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("image of a deleted appliance: %v", err)
	}
	if err := s.DeleteImage(ctx, img.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("DeleteImage of a gone image: %v", err)
	}
}
