package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kilnhq/kiln/internal/store"
)

func testQuotas(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("Limits", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), t.Context()
		u := newUser(t, ctx, s, "quoted")
		if q, err := s.UserQuotas(ctx, u.ID); err != nil || len(q) != 0 {
			t.Fatalf("UserQuotas of a new user = %v, %v; want none", q, err)
		}
		if err := s.SetUserQuotas(ctx, u.ID, map[string]int64{store.QuotaImages: 2, store.QuotaDiskUsage: 100}); err != nil {
			t.Fatal(err)
		}
		if err := s.SetUserQuotas(ctx, u.ID, map[string]int64{store.QuotaImages: 5, store.QuotaScans: -1}); err != nil {
			t.Fatal(err)
		}
		q, err := s.UserQuotas(ctx, u.ID)
		want := map[string]int64{store.QuotaImages: 5, store.QuotaDiskUsage: 100, store.QuotaScans: -1}
		if err != nil || fmt.Sprint(q) != fmt.Sprint(want) {
			t.Fatalf("UserQuotas = %v, %v; want %v (an update keeps the kinds it does not name)", q, err, want)
		}
		if err := s.SetUserQuotas(ctx, u.ID, map[string]int64{"bogus": 1}); err == nil {
			t.Error("an unknown quota kind was stored")
		}
		wantErr(t, s.SetUserQuotas(ctx, 99999, map[string]int64{store.QuotaImages: 1}), store.ErrNotFound)
	})
	t.Run("Usage", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), t.Context()
		u := newUser(t, ctx, s, "user")
		other := newUser(t, ctx, s, "other")
		a := &store.Appliance{OwnerID: u.ID, Name: "web", Version: "1", Doc: []byte(`{}`)}
		if err := s.CreateAppliance(ctx, a, store.Unlimited()); err != nil {
			t.Fatal(err)
		}
		queued := quotaImage(t, s, u, a)
		done := quotaImage(t, s, u, a)
		if _, err := s.FinishImage(ctx, done.ID, store.ImageOutcome{State: store.ImageComplete, Artifact: "x", FileSize: 1000}); err != nil {
			t.Fatal(err)
		}
		in := &store.ScannedInstance{OwnerID: u.ID, Name: "m", DistributionID: 2}
		if err := s.CreateScannedInstance(ctx, in); err != nil {
			t.Fatal(err)
		}
		arriving, complete, failed := quotaScan(t, s, in), quotaScan(t, s, in), quotaScan(t, s, in)
		for _, sc := range []*store.Scan{arriving, complete, failed} {
			if _, err := s.ScanOverlayProgress(ctx, sc.ID, 30, 60, "receiving"); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.CompleteScan(ctx, complete.ID, "scans/x/overlay.tar", 400, "ab", nil); err != nil {
			t.Fatal(err)
		}
		if _, err := s.FailScan(ctx, failed.ID, store.ScanError, "rejected", "bad"); err != nil {
			t.Fatal(err)
		}
		got, err := s.Usage(ctx, u.ID)
		// Disk: the image file, the stored overlay, the one arriving; not the failed upload.
		want := store.Usage{Appliances: 1, Images: 2, Scans: 3, Active: 1, DiskBytes: 1000 + 400 + 30}
		if err != nil || got != want {
			t.Fatalf("Usage = %+v, %v; want %+v", got, err, want)
		}
		if got, err := s.Usage(ctx, other.ID); err != nil || got != (store.Usage{}) {
			t.Fatalf("Usage of a user holding nothing = %+v, %v", got, err)
		}
		if _, err := s.FinishImage(ctx, queued.ID, store.ImageOutcome{State: store.ImageCancelled}); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Usage(ctx, u.ID); got.Active != 0 {
			t.Errorf("a cancelled image still counts as active: %+v", got)
		}
	})
	t.Run("Admission", func(t *testing.T) { t.Parallel(); testAdmission(t, open(t)) })
	t.Run("ConcurrentAdmission", func(t *testing.T) { t.Parallel(); testConcurrentAdmission(t, open(t)) })
}

// testAdmission refuses each creation at its limit, with a *QuotaError and
// nothing stored.
func testAdmission(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := newUser(t, ctx, s, "limited")
	a := &store.Appliance{OwnerID: u.ID, Name: "web", Version: "1", Doc: []byte(`{}`)}
	if err := s.CreateAppliance(ctx, a, store.Limits{Appliances: 1, Images: -1, Scans: -1, Active: -1, DiskBytes: -1}); err != nil {
		t.Fatal(err)
	}
	refused := func(what string, err error, kind string) {
		t.Helper()
		qe, ok := errors.AsType[*store.QuotaError](err)
		if !ok || !errors.Is(err, store.ErrQuota) || qe.Kind != kind {
			t.Fatalf("%s: error %v, want a %s QuotaError", what, err, kind)
		}
		checkMessage(t, err)
	}
	only := func(set func(*store.Limits)) store.Limits {
		l := store.Unlimited()
		set(&l)
		return l
	}
	err := s.CreateAppliance(ctx, &store.Appliance{OwnerID: u.ID, Name: "db", Version: "1", Doc: []byte(`{}`)},
		only(func(l *store.Limits) { l.Appliances = 1 }))
	refused("second appliance", err, store.QuotaAppliances)

	img := func(lim store.Limits) error {
		return s.CreateImage(ctx, &store.Image{OwnerID: u.ID, ApplianceID: a.ID, FormatID: 1, Name: "web", Spec: []byte(`{}`),
			State: store.ImageQueued}, lim)
	}
	if err := img(only(func(l *store.Limits) { l.Images, l.Active = 2, 1 })); err != nil {
		t.Fatal(err)
	}
	refused("second active generation", img(only(func(l *store.Limits) { l.Active = 1 })), store.QuotaActive)
	if err := img(only(func(l *store.Limits) { l.Images = 2 })); err != nil {
		t.Fatal(err)
	}
	refused("third image", img(only(func(l *store.Limits) { l.Images = 2 })), store.QuotaImages)
	// An appliance creation does not count bytes: a full disk quota leaves it alone.
	if err := s.CreateAppliance(ctx, &store.Appliance{OwnerID: u.ID, Name: "db", Version: "1", Doc: []byte(`{}`)},
		only(func(l *store.Limits) { l.DiskBytes = 0 })); err != nil {
		t.Errorf("an appliance was refused for disk usage: %v", err)
	}
	refused("image with no disk left", img(only(func(l *store.Limits) { l.DiskBytes = 0 })), store.QuotaDiskUsage)

	in := &store.ScannedInstance{OwnerID: u.ID, Name: "m", DistributionID: 2}
	if err := s.CreateScannedInstance(ctx, in); err != nil {
		t.Fatal(err)
	}
	scan := func(lim store.Limits) error {
		return s.CreateScan(ctx, &store.Scan{InstanceID: in.ID, OwnerID: u.ID, Name: "s", Report: []byte(`{}`)}, lim)
	}
	if err := scan(only(func(l *store.Limits) { l.Scans = 1 })); err != nil {
		t.Fatal(err)
	}
	refused("second scan", scan(only(func(l *store.Limits) { l.Scans = 1 })), store.QuotaScans)
	refused("scan with no disk left", scan(only(func(l *store.Limits) { l.DiskBytes = 0 })), store.QuotaDiskUsage)

	used, err := s.Usage(ctx, u.ID)
	if err != nil || used != (store.Usage{Appliances: 2, Images: 2, Scans: 1, Active: 2}) {
		t.Fatalf("after the refusals, Usage = %+v, %v: a refused creation left something", used, err)
	}
}

// testConcurrentAdmission creates images of one user from many goroutines
// at once: exactly the limit succeed, on every database.
func testConcurrentAdmission(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := newUser(t, ctx, s, "racer")
	a := &store.Appliance{OwnerID: u.ID, Name: "web", Version: "1", Doc: []byte(`{}`)}
	if err := s.CreateAppliance(ctx, a, store.Unlimited()); err != nil {
		t.Fatal(err)
	}
	const tries, limit = 12, 3
	lim := store.Unlimited()
	lim.Active = limit
	var created, refused atomic.Int64
	var wg sync.WaitGroup
	for range tries {
		wg.Go(func() {
			err := s.CreateImage(ctx, &store.Image{OwnerID: u.ID, ApplianceID: a.ID, FormatID: 1, Name: "web",
				Spec: []byte(`{}`), State: store.ImageQueued}, lim)
			switch {
			case err == nil:
				created.Add(1)
			case errors.Is(err, store.ErrQuota):
				refused.Add(1)
			default:
				t.Errorf("CreateImage: %v", err)
			}
		})
	}
	wg.Wait()
	if created.Load() != limit || refused.Load() != tries-limit {
		t.Fatalf("%d created and %d refused of %d concurrent creations; want %d created", created.Load(), refused.Load(), tries, limit)
	}
}

func quotaImage(t *testing.T, s store.Store, u *store.User, a *store.Appliance) *store.Image {
	t.Helper()
	before := time.Now()
	img := &store.Image{OwnerID: u.ID, ApplianceID: a.ID, FormatID: 1, Name: a.Name, Spec: []byte(`{}`),
		State: store.ImageQueued, DownloadKey: "k"}
	if err := s.CreateImage(context.Background(), img, store.Unlimited()); err != nil {
		t.Fatal(err)
	}
	within(t, "DownloadKeyIssued", img.DownloadKeyIssued, before, time.Now())
	return img
}

func quotaScan(t *testing.T, s store.Store, in *store.ScannedInstance) *store.Scan {
	t.Helper()
	sc := &store.Scan{InstanceID: in.ID, OwnerID: in.OwnerID, Name: "s", Report: []byte(`{}`)}
	if err := s.CreateScan(context.Background(), sc, store.Unlimited()); err != nil {
		t.Fatal(err)
	}
	return sc
}
