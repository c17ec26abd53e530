package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/kilnhq/kiln/internal/store"
)

// report is a scan report with what a naive store would mangle (see doc).
const report = `{"distribution": {"name": "Debian", "version": "12"}, "hostname": "wéb-01 ✓",
  "packages": [{"name": "nginx", "version": "1.22.1-9"}], "nul": "\u0000"}`

// bigReport returns a JSON report of at least n bytes.
func bigReport(n int) []byte {
	var b strings.Builder
	b.Grow(n + 128)
	b.WriteString(`{"files": [`)
	for i := 0; b.Len() < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, `{"path": "/srv/dätä/%06d", "mode": "0644", "tab": "\t"}`, i)
	}
	b.WriteString("]}\n")
	return []byte(b.String())
}

func newInstance(t *testing.T, ctx context.Context, s store.Store, owner *store.User, name string) *store.ScannedInstance {
	t.Helper()
	in := &store.ScannedInstance{OwnerID: owner.ID, Name: name, DistributionID: 12, OverlayIncluded: true}
	if err := s.CreateScannedInstance(ctx, in); err != nil {
		t.Fatalf("CreateScannedInstance(%q): %v", name, err)
	}
	return in
}

func newScan(t *testing.T, ctx context.Context, s store.Store, in *store.ScannedInstance, name string) *store.Scan {
	t.Helper()
	sc := &store.Scan{InstanceID: in.ID, OwnerID: in.OwnerID, Name: name, State: store.ScanRunning,
		Message: "report received", Report: []byte(report)}
	if err := s.CreateScan(ctx, sc, store.Unlimited()); err != nil {
		t.Fatalf("CreateScan(%q): %v", name, err)
	}
	return sc
}

func getScan(t *testing.T, ctx context.Context, s store.Store, id int64) *store.Scan {
	t.Helper()
	sc, err := s.GetScan(ctx, id)
	if err != nil {
		t.Fatalf("GetScan(%d): %v", id, err)
	}
	return sc
}

// scanImage creates a queued image row generated from scan scanID.
func scanImage(t *testing.T, ctx context.Context, s store.Store, ownerID, scanID int64) *store.Image {
	t.Helper()
	img := &store.Image{OwnerID: ownerID, ScanID: scanID, FormatID: 1, Name: "from-scan", Revision: 1,
		Spec: []byte(`{}`), State: store.ImageQueued}
	if err := s.CreateImage(ctx, img, store.Unlimited()); err != nil {
		t.Fatalf("CreateImage(scan %d): %v", scanID, err)
	}
	return img
}

// equateEmpty: a nil payload reads back as an empty one.
var equateEmpty = cmpopts.EquateEmpty()

func testScans(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("Instances", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), t.Context()
		alice, bob := newUser(t, ctx, s, "alice"), newUser(t, ctx, s, "bob")
		before := time.Now()
		web := &store.ScannedInstance{OwnerID: alice.ID, Name: "web-01", DistributionID: 7, OverlayIncluded: true}
		if err := s.CreateScannedInstance(ctx, web); err != nil {
			t.Fatal(err)
		}
		if web.ID == 0 || !web.Modified.Equal(web.Created) {
			t.Errorf("CreateScannedInstance left %+v", web)
		}
		within(t, "Created", web.Created, before, time.Now())
		db := &store.ScannedInstance{OwnerID: alice.ID, Name: "db-01", DistributionID: 7}
		other := &store.ScannedInstance{OwnerID: bob.ID, Name: "web-01", DistributionID: 8} // same name, other owner
		for _, in := range []*store.ScannedInstance{db, other} {
			if err := s.CreateScannedInstance(ctx, in); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.GetScannedInstance(ctx, web.ID)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(web, got); d != "" {
			t.Errorf("GetScannedInstance (-want +got):\n%s", d)
		}

		// One name per owner; the failed create leaves nothing behind.
		wantErr(t, s.CreateScannedInstance(ctx, &store.ScannedInstance{OwnerID: alice.ID, Name: "web-01"}), store.ErrConflict)
		wantErr(t, s.CreateScannedInstance(ctx, &store.ScannedInstance{OwnerID: 99999, Name: "x"}), store.ErrNotFound)

		list, err := s.ListScannedInstances(ctx, alice.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff([]store.ScannedInstance{*web, *db}, list); d != "" {
			t.Errorf("ListScannedInstances (-want +got):\n%s", d)
		}
		list, err = s.ListScannedInstances(ctx, alice.ID, "web-01")
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff([]store.ScannedInstance{*web}, list); d != "" {
			t.Errorf("ListScannedInstances by name (-want +got):\n%s", d)
		}
		list, err = s.ListScannedInstances(ctx, bob.ID, "web-01")
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff([]store.ScannedInstance{*other}, list); d != "" {
			t.Errorf("ListScannedInstances of the other owner (-want +got):\n%s", d)
		}
		for _, name := range []string{"nope", "WEB-01", "web-%"} {
			if list, err := s.ListScannedInstances(ctx, alice.ID, name); err != nil || len(list) != 0 {
				t.Errorf("ListScannedInstances(%q) = %v, %v; want none", name, list, err)
			}
		}
		if list, err := s.ListScannedInstances(ctx, 99999, ""); err != nil || len(list) != 0 {
			t.Errorf("ListScannedInstances of unknown owner = %v, %v", list, err)
		}

		_, err = s.GetScannedInstance(ctx, 99999)
		wantErr(t, err, store.ErrNotFound)
		wantErr(t, s.DeleteScannedInstance(ctx, 99999), store.ErrNotFound)
		if err := s.DeleteScannedInstance(ctx, db.ID); err != nil {
			t.Fatal(err)
		}
		_, err = s.GetScannedInstance(ctx, db.ID)
		wantErr(t, err, store.ErrNotFound)
		wantErr(t, s.DeleteScannedInstance(ctx, db.ID), store.ErrNotFound)
		// The name is free again, under a new id.
		again := newInstance(t, ctx, s, alice, "db-01")
		if again.ID <= other.ID {
			t.Errorf("new instance id %d reuses or precedes %d", again.ID, other.ID)
		}
	})

	t.Run("Scans", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), t.Context()
		alice, bob := newUser(t, ctx, s, "alice"), newUser(t, ctx, s, "bob")
		web, db := newInstance(t, ctx, s, alice, "web-01"), newInstance(t, ctx, s, alice, "db-01")
		bweb := newInstance(t, ctx, s, bob, "web-01")

		before := time.Now()
		s1 := &store.Scan{InstanceID: web.ID, OwnerID: alice.ID, Name: "monday", State: store.ScanRunning,
			Percentage: 5, Message: "report received", Report: []byte(report), OverlayReceived: 10, OverlaySize: 2048}
		if err := s.CreateScan(ctx, s1, store.Unlimited()); err != nil {
			t.Fatal(err)
		}
		if s1.ID == 0 || !s1.Modified.Equal(s1.Created) {
			t.Errorf("CreateScan left %+v", s1)
		}
		within(t, "Created", s1.Created, before, time.Now())
		got := getScan(t, ctx, s, s1.ID)
		if d := cmp.Diff(s1, got, equateEmpty); d != "" {
			t.Errorf("GetScan (-want +got):\n%s", d)
		}
		if string(got.Report) != report {
			t.Errorf("Report = %q, want byte-identical %q", got.Report, report)
		}
		// Scan names are not unique: every scan of an instance may keep the default name.
		s2 := newScan(t, ctx, s, db, "monday")
		s3 := newScan(t, ctx, s, web, "tuesday")
		b1 := newScan(t, ctx, s, bweb, "monday")

		for _, c := range []struct {
			f    store.ScanFilter
			want []*store.Scan
		}{
			{store.ScanFilter{OwnerID: alice.ID}, []*store.Scan{s1, s2, s3}},
			{store.ScanFilter{InstanceID: web.ID}, []*store.Scan{s1, s3}},
			{store.ScanFilter{OwnerID: alice.ID, InstanceID: db.ID}, []*store.Scan{s2}},
			{store.ScanFilter{OwnerID: bob.ID, InstanceID: web.ID}, nil},
			{store.ScanFilter{OwnerID: bob.ID}, []*store.Scan{b1}},
			{store.ScanFilter{}, []*store.Scan{s1, s2, s3, b1}},
		} {
			list, err := s.ListScans(ctx, c.f)
			if err != nil {
				t.Fatalf("ListScans(%+v): %v", c.f, err)
			}
			var want []store.Scan
			for _, sc := range c.want {
				want = append(want, *sc)
			}
			if d := cmp.Diff(want, list, equateEmpty); d != "" {
				t.Errorf("ListScans(%+v) (-want +got):\n%s", c.f, d)
			}
		}

		// An empty state is running; percentages are clamped.
		dflt := &store.Scan{InstanceID: web.ID, OwnerID: alice.ID, Name: "d", Percentage: 250, Report: []byte(`{}`)}
		if err := s.CreateScan(ctx, dflt, store.Unlimited()); err != nil {
			t.Fatal(err)
		}
		if got := getScan(t, ctx, s, dflt.ID); got.State != store.ScanRunning || got.Percentage != 100 ||
			dflt.State != store.ScanRunning || dflt.Percentage != 100 {
			t.Errorf("scan created with no state and 250%% = %+v (argument %+v)", got, dflt)
		}
		if err := s.CreateScan(ctx, &store.Scan{InstanceID: web.ID, OwnerID: alice.ID, Name: "x", State: "queued"}, store.Unlimited()); err == nil {
			t.Error("CreateScan accepted state queued")
		}

		// Missing or foreign instances, missing owners.
		wantErr(t, s.CreateScan(ctx, &store.Scan{InstanceID: 99999, OwnerID: alice.ID, Name: "x"}, store.Unlimited()), store.ErrNotFound)
		wantErr(t, s.CreateScan(ctx, &store.Scan{InstanceID: web.ID, OwnerID: bob.ID, Name: "x"}, store.Unlimited()), store.ErrNotFound)
		wantErr(t, s.CreateScan(ctx, &store.Scan{InstanceID: web.ID, OwnerID: 99999, Name: "x"}, store.Unlimited()), store.ErrNotFound)
		if list, _ := s.ListScans(ctx, store.ScanFilter{InstanceID: web.ID}); len(list) != 3 {
			t.Errorf("failed creates left scans behind: %d scans", len(list))
		}

		time.Sleep(2 * time.Millisecond)
		if err := s.RenameScan(ctx, s1.ID, "lundi"); err != nil {
			t.Fatal(err)
		}
		got = getScan(t, ctx, s, s1.ID)
		if got.Name != "lundi" || !got.Modified.After(s1.Created) || !got.Created.Equal(s1.Created) {
			t.Errorf("after RenameScan: %+v", got)
		}
		wantErr(t, s.RenameScan(ctx, 99999, "x"), store.ErrNotFound)
		_, err := s.GetScan(ctx, 99999)
		wantErr(t, err, store.ErrNotFound)
		wantErr(t, s.DeleteScan(ctx, 99999), store.ErrNotFound)

		if err := s.DeleteScan(ctx, s3.ID); err != nil {
			t.Fatal(err)
		}
		_, err = s.GetScan(ctx, s3.ID)
		wantErr(t, err, store.ErrNotFound)
		wantErr(t, s.DeleteScan(ctx, s3.ID), store.ErrNotFound)
		if _, err := s.GetScannedInstance(ctx, web.ID); err != nil {
			t.Errorf("deleting a scan deleted its instance: %v", err)
		}
	})

	t.Run("Payloads", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), t.Context()
		u := newUser(t, ctx, s, "alice")
		in := newInstance(t, ctx, s, u, "big")
		big := bigReport(1 << 20)
		sc := &store.Scan{InstanceID: in.ID, OwnerID: u.ID, Name: "big", State: store.ScanRunning, Report: big}
		if err := s.CreateScan(ctx, sc, store.Unlimited()); err != nil {
			t.Fatal(err)
		}
		manifest := bigReport(64 << 10)
		if ok, err := s.CompleteScan(ctx, sc.ID, "scans/1/overlay.tar.gz", 1<<30, strings.Repeat("ab", 32), manifest); !ok || err != nil {
			t.Fatalf("CompleteScan = %v, %v", ok, err)
		}
		got := getScan(t, ctx, s, sc.ID)
		if string(got.Report) != string(big) {
			t.Errorf("1 MiB report read back as %d bytes, not byte-identical", len(got.Report))
		}
		if string(got.OverlayManifest) != string(manifest) {
			t.Errorf("manifest read back as %d bytes, not byte-identical", len(got.OverlayManifest))
		}
		if got.OverlaySize != 1<<30 {
			t.Errorf("OverlaySize = %d, want %d (beyond 32 bits)", got.OverlaySize, 1<<30)
		}
		list, err := s.ListScans(ctx, store.ScanFilter{InstanceID: in.ID})
		if err != nil || len(list) != 1 || string(list[0].Report) != string(big) {
			t.Errorf("ListScans of a big scan = %d scans, %v", len(list), err)
		}
	})

	t.Run("Transitions", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), t.Context()
		u := newUser(t, ctx, s, "alice")
		in := newInstance(t, ctx, s, u, "web-01")

		sc := newScan(t, ctx, s, in, "upload")
		time.Sleep(2 * time.Millisecond)
		for _, p := range []struct {
			received int64
			pct      int
			want     int
		}{{100, 10, 10}, {5000, 150, 100}, {6000, -3, 0}, {7000, 70, 70}} {
			ok, err := s.ScanOverlayProgress(ctx, sc.ID, p.received, p.pct, fmt.Sprintf("received %d", p.received))
			if err != nil || !ok {
				t.Fatalf("ScanOverlayProgress = %v, %v", ok, err)
			}
			got := getScan(t, ctx, s, sc.ID)
			if got.State != store.ScanRunning || got.OverlayReceived != p.received || got.Percentage != p.want ||
				got.Message != fmt.Sprintf("received %d", p.received) || !got.Modified.After(sc.Created) {
				t.Errorf("after progress %+v: %+v", p, got)
			}
		}
		ok, err := s.CompleteScan(ctx, sc.ID, "scans/1/overlay", 7000, "cafe", []byte(`[{"path":"/etc/motd"}]`))
		if err != nil || !ok {
			t.Fatalf("CompleteScan = %v, %v", ok, err)
		}
		done := getScan(t, ctx, s, sc.ID)
		want := *sc
		want.State, want.Percentage, want.Message = store.ScanComplete, 100, "Scan complete"
		want.OverlayReceived, want.OverlaySize, want.OverlaySHA256 = 7000, 7000, "cafe"
		want.OverlayKey, want.OverlayManifest = "scans/1/overlay", []byte(`[{"path":"/etc/motd"}]`)
		if d := cmp.Diff(&want, done, equateEmpty, cmpopts.IgnoreFields(store.Scan{}, "Modified")); d != "" {
			t.Errorf("completed scan (-want +got):\n%s", d)
		}
		if !done.Terminal() {
			t.Error("a complete scan is not terminal")
		}
		// Terminal once: nothing changes a complete scan.
		if ok, err := s.CompleteScan(ctx, sc.ID, "other", 1, "x", nil); ok || err != nil {
			t.Errorf("second CompleteScan = %v, %v; want false, nil", ok, err)
		}
		if ok, err := s.FailScan(ctx, sc.ID, store.ScanCancelled, "cancelled", ""); ok || err != nil {
			t.Errorf("FailScan of a complete scan = %v, %v; want false, nil", ok, err)
		}
		if ok, err := s.ScanOverlayProgress(ctx, sc.ID, 1, 1, "late"); ok || err != nil {
			t.Errorf("ScanOverlayProgress of a complete scan = %v, %v; want false, nil", ok, err)
		}
		if d := cmp.Diff(done, getScan(t, ctx, s, sc.ID)); d != "" {
			t.Errorf("a terminal scan changed (-before +after):\n%s", d)
		}

		// Failing: only error or cancelled, once.
		for _, state := range []string{store.ScanError, store.ScanCancelled} {
			sc := newScan(t, ctx, s, in, state)
			for _, bad := range []string{"", store.ScanRunning, store.ScanComplete, "queued"} {
				if ok, err := s.FailScan(ctx, sc.ID, bad, "m", "e"); ok || err == nil {
					t.Errorf("FailScan(state %q) = %v, %v; want an error", bad, ok, err)
				}
			}
			if got := getScan(t, ctx, s, sc.ID); got.State != store.ScanRunning {
				t.Errorf("refused FailScan changed the state to %q", got.State)
			}
			if _, err := s.ScanOverlayProgress(ctx, sc.ID, 42, 30, "uploading"); err != nil {
				t.Fatal(err)
			}
			ok, err := s.FailScan(ctx, sc.ID, state, "overlay upload failed", "checksum mismatch")
			if err != nil || !ok {
				t.Fatalf("FailScan(%s) = %v, %v", state, ok, err)
			}
			failed := getScan(t, ctx, s, sc.ID)
			if failed.State != state || failed.Message != "overlay upload failed" || failed.ErrorMsg != "checksum mismatch" ||
				failed.Percentage != 30 || failed.OverlayReceived != 42 || failed.OverlayKey != "" || !failed.Terminal() {
				t.Errorf("failed scan = %+v", failed)
			}
			if ok, err := s.FailScan(ctx, sc.ID, store.ScanError, "again", "again"); ok || err != nil {
				t.Errorf("second FailScan = %v, %v; want false, nil", ok, err)
			}
			if ok, err := s.CompleteScan(ctx, sc.ID, "k", 1, "x", []byte(`[]`)); ok || err != nil {
				t.Errorf("CompleteScan of a failed scan = %v, %v; want false, nil", ok, err)
			}
			if ok, err := s.ScanOverlayProgress(ctx, sc.ID, 99, 99, "late"); ok || err != nil {
				t.Errorf("ScanOverlayProgress of a failed scan = %v, %v; want false, nil", ok, err)
			}
			if d := cmp.Diff(failed, getScan(t, ctx, s, sc.ID)); d != "" {
				t.Errorf("a failed scan changed (-before +after):\n%s", d)
			}
		}
		// A scan created terminal takes no transition either.
		imported := &store.Scan{InstanceID: in.ID, OwnerID: u.ID, Name: "imported", State: store.ScanComplete, Report: []byte(`{}`)}
		if err := s.CreateScan(ctx, imported, store.Unlimited()); err != nil {
			t.Fatal(err)
		}
		if ok, err := s.ScanOverlayProgress(ctx, imported.ID, 1, 1, "x"); ok || err != nil {
			t.Errorf("ScanOverlayProgress of a scan created complete = %v, %v", ok, err)
		}

		// A scan that does not exist is not found rather than terminal.
		_, err = s.ScanOverlayProgress(ctx, 99999, 1, 1, "x")
		wantErr(t, err, store.ErrNotFound)
		_, err = s.CompleteScan(ctx, 99999, "k", 1, "x", nil)
		wantErr(t, err, store.ErrNotFound)
		_, err = s.FailScan(ctx, 99999, store.ScanError, "m", "e")
		wantErr(t, err, store.ErrNotFound)
	})

	t.Run("CompleteVersusFail", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), t.Context()
		u := newUser(t, ctx, s, "alice")
		in := newInstance(t, ctx, s, u, "web-01")
		const rounds = 16
		for r := range rounds {
			sc := newScan(t, ctx, s, in, fmt.Sprint(r))
			failState := store.ScanError
			if r%2 == 1 {
				failState = store.ScanCancelled
			}
			var (
				wg                   sync.WaitGroup
				start                = make(chan struct{})
				completed, failed    bool
				completeErr, failErr error
			)
			wg.Go(func() {
				<-start
				completed, completeErr = s.CompleteScan(ctx, sc.ID, "overlay", 10, "sha", []byte(`[]`))
			})
			wg.Go(func() {
				<-start
				failed, failErr = s.FailScan(ctx, sc.ID, failState, "cancelled by user", "")
			})
			close(start)
			wg.Wait()
			if completeErr != nil || failErr != nil {
				t.Fatalf("round %d: CompleteScan error %v, FailScan error %v", r, completeErr, failErr)
			}
			if completed == failed {
				t.Fatalf("round %d: CompleteScan = %v and FailScan = %v; want exactly one winner", r, completed, failed)
			}
			got := getScan(t, ctx, s, sc.ID)
			switch {
			case completed && (got.State != store.ScanComplete || got.OverlayKey != "overlay" || got.Message != "Scan complete"):
				t.Errorf("round %d: CompleteScan won but the scan is %+v", r, got)
			case failed && (got.State != failState || got.OverlayKey != "" || got.Message != "cancelled by user"):
				t.Errorf("round %d: FailScan won but the scan is %+v", r, got)
			}
		}
	})

	t.Run("Cascade", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), t.Context()
		doomed, kept := newUser(t, ctx, s, "doomed"), newUser(t, ctx, s, "kept")
		web, db := newInstance(t, ctx, s, doomed, "web-01"), newInstance(t, ctx, s, doomed, "db-01")
		s1, s2, s3 := newScan(t, ctx, s, web, "1"), newScan(t, ctx, s, web, "2"), newScan(t, ctx, s, db, "3")
		img1, img2, img3 := scanImage(t, ctx, s, doomed.ID, s1.ID), scanImage(t, ctx, s, doomed.ID, s2.ID), scanImage(t, ctx, s, doomed.ID, s3.ID)
		img1b := scanImage(t, ctx, s, doomed.ID, s1.ID)
		a := &store.Appliance{OwnerID: doomed.ID, Name: "app", Version: "1", Doc: []byte(`{}`)}
		if err := s.CreateAppliance(ctx, a, store.Unlimited()); err != nil {
			t.Fatal(err)
		}
		appImg := &store.Image{OwnerID: doomed.ID, ApplianceID: a.ID, FormatID: 1, Name: "app", Revision: 1,
			Spec: []byte(`{}`), State: store.ImageQueued}
		if err := s.CreateImage(ctx, appImg, store.Unlimited()); err != nil {
			t.Fatal(err)
		}
		kweb := newInstance(t, ctx, s, kept, "web-01")
		k1 := newScan(t, ctx, s, kweb, "1")
		kimg := scanImage(t, ctx, s, kept.ID, k1.ID)

		gone := func(what string, ids ...int64) {
			t.Helper()
			for _, id := range ids {
				if _, err := s.GetImage(ctx, id); !errors.Is(err, store.ErrNotFound) {
					t.Errorf("%s (%d): %v, want %v", what, id, err, store.ErrNotFound)
				}
			}
		}
		present := func(ids ...int64) {
			t.Helper()
			for _, id := range ids {
				if _, err := s.GetImage(ctx, id); err != nil {
					t.Errorf("image %d: %v", id, err)
				}
			}
		}

		// Deleting a scan deletes its images, and only those.
		if err := s.DeleteScan(ctx, s2.ID); err != nil {
			t.Fatal(err)
		}
		gone("image of a deleted scan", img2.ID)
		present(img1.ID, img1b.ID, img3.ID, appImg.ID, kimg.ID)
		if list, err := s.ListImages(ctx, store.ImageFilter{ScanID: s1.ID}); err != nil || len(list) != 2 {
			t.Errorf("images of scan 1 = %d, %v; want 2", len(list), err)
		}

		// Deleting an instance deletes its scans and their images.
		if err := s.DeleteScannedInstance(ctx, web.ID); err != nil {
			t.Fatal(err)
		}
		_, err := s.GetScan(ctx, s1.ID)
		wantErr(t, err, store.ErrNotFound)
		if list, err := s.ListScans(ctx, store.ScanFilter{InstanceID: web.ID}); err != nil || len(list) != 0 {
			t.Errorf("scans of a deleted instance = %v, %v", list, err)
		}
		gone("image of a scan of a deleted instance", img1.ID, img1b.ID)
		present(img3.ID, appImg.ID, kimg.ID)
		if _, err := s.GetScan(ctx, s3.ID); err != nil {
			t.Errorf("scan of another instance: %v", err)
		}

		// Deleting a user deletes its instances, scans and images.
		if err := s.DeleteUser(ctx, "doomed"); err != nil {
			t.Fatal(err)
		}
		_, err = s.GetScannedInstance(ctx, db.ID)
		wantErr(t, err, store.ErrNotFound)
		_, err = s.GetScan(ctx, s3.ID)
		wantErr(t, err, store.ErrNotFound)
		gone("image of a deleted user", img3.ID, appImg.ID)
		if list, err := s.ListScans(ctx, store.ScanFilter{OwnerID: doomed.ID}); err != nil || len(list) != 0 {
			t.Errorf("scans of a deleted user = %v, %v", list, err)
		}
		if list, err := s.ListScannedInstances(ctx, doomed.ID, ""); err != nil || len(list) != 0 {
			t.Errorf("instances of a deleted user = %v, %v", list, err)
		}

		// The other account is intact.
		if _, err := s.GetScannedInstance(ctx, kweb.ID); err != nil {
			t.Errorf("kept user's instance: %v", err)
		}
		if _, err := s.GetScan(ctx, k1.ID); err != nil {
			t.Errorf("kept user's scan: %v", err)
		}
		present(kimg.ID)
	})

	t.Run("ImageFidelity", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), t.Context()
		u := newUser(t, ctx, s, "alice")
		sc := newScan(t, ctx, s, newInstance(t, ctx, s, u, "web-01"), "1")
		const fidelity = `{"packages": {"same": 412, "missing": ["ünïcødé"]}, "files": {"differ": 0}}`

		img := scanImage(t, ctx, s, u.ID, sc.ID)
		if got, err := s.GetImage(ctx, img.ID); err != nil || len(got.Fidelity) != 0 || got.ScanID != sc.ID || got.ApplianceID != 0 ||
			got.ScanInstanceID != sc.InstanceID {
			t.Fatalf("new scan image = %+v, %v", got, err)
		}
		if ok, err := s.FinishImage(ctx, img.ID, store.ImageOutcome{State: store.ImageComplete, Artifact: "images/1",
			Packages: []byte(`[]`), Fidelity: []byte(fidelity)}); !ok || err != nil {
			t.Fatalf("FinishImage = %v, %v", ok, err)
		}
		got, err := s.GetImage(ctx, img.ID)
		if err != nil {
			t.Fatal(err)
		}
		if string(got.Fidelity) != fidelity {
			t.Errorf("Fidelity = %q, want byte-identical %q", got.Fidelity, fidelity)
		}
		list, err := s.ListImages(ctx, store.ImageFilter{ScanID: sc.ID})
		if err != nil || len(list) != 1 || string(list[0].Fidelity) != fidelity {
			t.Errorf("ListImages(scan) = %+v, %v", list, err)
		}

		// Created with a fidelity: stored; a failed generation does not replace it.
		pre := &store.Image{OwnerID: u.ID, ScanID: sc.ID, FormatID: 2, Name: "pre", Revision: 1, Spec: []byte(`{}`),
			State: store.ImageQueued, Fidelity: []byte(`{"v":1}`)}
		if err := s.CreateImage(ctx, pre, store.Unlimited()); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.GetImage(ctx, pre.ID); string(got.Fidelity) != `{"v":1}` {
			t.Errorf("Fidelity at creation = %q", got.Fidelity)
		}
		if ok, err := s.FinishImage(ctx, pre.ID, store.ImageOutcome{State: store.ImageError, ErrorMsg: "boom",
			Fidelity: []byte(`{"v":2}`)}); !ok || err != nil {
			t.Fatalf("FinishImage(error) = %v, %v", ok, err)
		}
		if got, _ := s.GetImage(ctx, pre.ID); string(got.Fidelity) != `{"v":1}` || got.State != store.ImageError {
			t.Errorf("after a failed generation: state %q, Fidelity %q", got.State, got.Fidelity)
		}
		// A late completion of a terminal image writes nothing.
		if ok, _ := s.FinishImage(ctx, pre.ID, store.ImageOutcome{State: store.ImageComplete, Fidelity: []byte(`{"v":3}`)}); ok {
			t.Error("a failed image was completed")
		}
		if got, _ := s.GetImage(ctx, pre.ID); string(got.Fidelity) != `{"v":1}` {
			t.Errorf("Fidelity after a refused completion = %q", got.Fidelity)
		}
	})
}
