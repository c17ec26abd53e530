package app_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kilnhq/kiln/internal/app"
	"github.com/kilnhq/kiln/internal/generate"
	"github.com/kilnhq/kiln/internal/plan"
	"github.com/kilnhq/kiln/internal/service"
	"github.com/kilnhq/kiln/internal/spec"
	"github.com/kilnhq/kiln/internal/store"
	"github.com/kilnhq/kiln/internal/store/pgtest"
	"github.com/kilnhq/kiln/internal/uforge"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// fakeEngine writes a small artifact at once.
type fakeEngine struct{}

func (fakeEngine) Run(_ context.Context, p *plan.Plan, outDir string, progress generate.Progress) (*generate.Result, error) {
	s := &p.Spec
	data := []byte("image of " + s.Name)
	path := filepath.Join(outDir, s.Name+".qcow2")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return nil, err
	}
	progress(generate.Update{Stage: generate.StageDone, Percent: 100})
	sum := sha256.Sum256(data)
	return &generate.Result{Path: path, Format: "qcow2", Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:])}, nil
}

func config(t *testing.T, database string) app.Config {
	return app.Config{DataDir: t.TempDir(), Database: database, Workers: 1, JobTimeout: time.Minute,
		Generator: fakeEngine{}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

func closeOnCleanup(t *testing.T, close func(context.Context) error) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := close(ctx); err != nil {
			t.Errorf("close: %v", err)
		}
	})
}

func countUsers(t *testing.T, st store.Store) int {
	t.Helper()
	n, err := st.CountUsers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// startWorker starts a worker node on database (SQLite in its data directory
// when empty) and checks that it created no user there.
func startWorker(t *testing.T, database string) *app.Worker {
	t.Helper()
	ctx := context.Background()
	w, err := app.OpenWorker(ctx, config(t, database))
	if err != nil {
		t.Fatal(err)
	}
	closeOnCleanup(t, w.Close)
	if err := w.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if n := countUsers(t, w.Store); n != 0 {
		t.Fatalf("a worker started on an empty database created %d users", n)
	}
	return w
}

// A worker started first on an empty database creates no user (it used to
// create "admin" with a password nobody saw), yet works the jobs it finds.
func TestWorkerCreatesNoUser(t *testing.T) {
	ctx := context.Background()
	w := startWorker(t, "")

	// A job enqueued by another node: the worker builds it with build, no use case involved.
	u := &store.User{Login: "alice", PasswordHash: "x", Active: true}
	if err := w.Store.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	a := &store.Appliance{OwnerID: u.ID, Name: "web", Version: "1.0", Revision: 1, Doc: []byte(`{}`)}
	if err := w.Store.CreateAppliance(ctx, a, store.Unlimited()); err != nil {
		t.Fatal(err)
	}
	img := &store.Image{OwnerID: u.ID, ApplianceID: a.ID, FormatID: 1, Name: "web", Version: "1.0", Revision: 1,
		Spec: webPlan(t), Request: []byte(`{}`), State: store.ImageQueued, DownloadKey: "k"}
	if err := w.Store.CreateImage(ctx, img, store.Unlimited()); err != nil {
		t.Fatal(err)
	}
	job, err := w.Queue.Enqueue(ctx, img.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Store.SetImageJob(ctx, img.ID, job); err != nil {
		t.Fatal(err)
	}
	if got := waitImage(t, w.Store, img.ID); got.State != store.ImageComplete || got.Artifact == "" {
		t.Fatalf("image %s (%s), want complete with an artifact", got.State, got.ErrorMsg)
	}
}

// Serving creates the administrator once, with a generated password when none
// is given; an API-only node (--workers 0) still has a queue to enqueue on.
func TestServeCreatesAdmin(t *testing.T) {
	ctx := context.Background()
	cfg := config(t, "")
	n, err := app.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if n.AdminPassword == "" || n.Handler == nil || n.Services.Images == nil {
		t.Fatalf("first serve: password %q, handler %v", n.AdminPassword, n.Handler)
	}
	p, err := n.Services.Users.Authenticate(ctx, "admin", n.AdminPassword, netip.Addr{})
	if err != nil || !p.IsAdmin() {
		t.Fatalf("admin with the generated password: %+v, %v", p, err)
	}
	if c := countUsers(t, n.Store); c != 1 {
		t.Fatalf("%d users after the first start, want 1", c)
	}
	if err := n.Close(ctx); err != nil {
		t.Fatal(err)
	}

	cfg.AdminPassword = "ignored-now"
	again, err := app.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	closeOnCleanup(t, again.Close)
	if again.AdminPassword != "" || countUsers(t, again.Store) != 1 {
		t.Errorf("second start: password %q, %d users; want the admin left as it was", again.AdminPassword, countUsers(t, again.Store))
	}
}

// The multi-node setup: a worker started first on an empty PostgreSQL creates
// nobody; `serve --workers 0` creates the admin and enqueues; the worker builds.
func TestServeAndWorkerNodes(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.Start(t)
	startWorker(t, dsn)

	cfg := config(t, dsn)
	cfg.AdminPassword = "admin-secret"
	api, err := app.Open(ctx, cfg) // RunWorkers false: the API only
	if err != nil {
		t.Fatal(err)
	}
	closeOnCleanup(t, api.Close)
	if err := api.Start(ctx); err != nil {
		t.Fatal(err)
	}
	p, err := api.Services.Users.Authenticate(ctx, "admin", "admin-secret", netip.Addr{})
	if err != nil {
		t.Fatal(err)
	}
	a, err := api.Services.Appliances.CreateAppliance(ctx, p, "admin", &uforge.Appliance{Name: new("web"), Version: new("1.0"),
		DistributionURI: new("distributions/2"), OSProfile: &uforge.LinuxProfile{DistribProfile: uforge.DistribProfile{StandardProfileURI: new("distributions/2/profiles/3")}}})
	if err != nil {
		t.Fatal(err)
	}
	img, err := api.Services.Images.GenerateImage(ctx, p, "admin", *a.DBID, &uforge.Image{Compress: new(true),
		TargetFormat: &uforge.TargetFormat{Name: new("QCOW2")}})
	if err != nil {
		t.Fatal(err)
	}
	if got := waitImage(t, api.Store, *img.DBID); got.State != store.ImageComplete {
		t.Fatalf("image %s (%s), want complete: built by the worker node", got.State, got.ErrorMsg)
	}
	if _, err := api.Services.Images.CancelImage(ctx, p, "admin", *a.DBID, *img.DBID); err == nil {
		t.Error("a complete image was cancelled")
	} else if e, ok := service.AsError(err); !ok || e.Kind != service.KindConflict {
		t.Errorf("cancel of a complete image: %v, want a conflict", err)
	}
}

func waitImage(t *testing.T, st store.Store, id int64) *store.Image {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		img, err := st.GetImage(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if img.Terminal() || time.Now().After(deadline) {
			return img
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// webPlan is the stored plan of an image "web" (QCOW2 of Debian 12).
func webPlan(t *testing.T) []byte {
	t.Helper()
	p, err := plan.New(&spec.Spec{Name: "web", Distribution: spec.Distribution{Release: "12"}, Output: spec.Output{Format: "QCOW2"}}, plan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := p.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}
