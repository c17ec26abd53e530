package build_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/kilnhq/kiln/internal/build"
	"github.com/kilnhq/kiln/internal/generate"
	"github.com/kilnhq/kiln/internal/plan"
	"github.com/kilnhq/kiln/internal/record"
	"github.com/kilnhq/kiln/internal/store"
)

func newRunner(t *testing.T, st build.Store, eng build.Engine) (*build.Runner, *dirArtifacts, string) {
	t.Helper()
	arts := &dirArtifacts{dir: t.TempDir()}
	work := filepath.Join(t.TempDir(), "tmp") // created on demand
	return build.NewRunner(st, arts, eng, build.Config{WorkDir: work, Logger: slog.New(slog.DiscardHandler)}), arts, work
}

func TestRunCompletes(t *testing.T) {
	ctx := context.Background()
	sql, a := openStore(t)
	st := &countingStore{SQL: sql}
	img := newImage(t, sql, a, nil)
	var outDir string
	eng := engineFunc(func(ctx context.Context, p *plan.Plan, out string, progress generate.Progress) (*generate.Result, error) {
		if p.Spec.Name != "web" || p.Spec.ImageVersion != "1.0" {
			t.Errorf("engine got plan %+v, want the stored one", p)
		}
		outDir = out
		for pct := 10; pct < 100; pct += 10 {
			progress(generate.Update{Stage: generate.StageRootfs, Percent: pct, Message: fmt.Sprintf("at %d", pct)})
		}
		res := writeArtifact(t, out, "web-1.0.qcow2", "an image")
		res.Packages = []record.InstalledPackage{{Name: "openssh-server", Version: "1:9.2p1-2", Arch: "amd64"}}
		progress(generate.Update{Stage: generate.StageDone, Percent: 100})
		return res, nil
	})
	r, arts, work := newRunner(t, st, eng)
	if err := r.Run(ctx, img.ID); err != nil {
		t.Fatal(err)
	}

	wantPrefix := fmt.Sprintf("build-%d-image-%d-", os.Getpid(), img.ID)
	if filepath.Dir(outDir) != work || !strings.HasPrefix(filepath.Base(outDir), wantPrefix) {
		t.Errorf("output directory %s, want %s/%s… (the engine's naming, removed after a crash)", outDir, work, wantPrefix)
	}
	if _, err := os.Stat(outDir); !os.IsNotExist(err) {
		t.Errorf("output directory %s left behind (%v)", outDir, err)
	}
	got := getImage(t, sql, img.ID)
	key := fmt.Sprintf("images/%d/web-1.0.qcow2", img.ID)
	if got.State != store.ImageComplete || got.Message != "Generation complete" || got.Artifact != key ||
		got.FileSize != int64(len("an image")) || got.SHA256 == "" || len(got.Fidelity) != 0 {
		t.Fatalf("image after the job: %+v", got)
	}
	var pkgs []record.InstalledPackage
	if err := json.Unmarshal(got.Packages, &pkgs); err != nil || len(pkgs) != 1 || pkgs[0].Name != "openssh-server" {
		t.Errorf("packages %s (%v)", got.Packages, err)
	}
	if b, err := os.ReadFile(filepath.Join(arts.dir, key)); err != nil || string(b) != "an image" {
		t.Errorf("stored artifact %q, %v", b, err)
	}
	// "Generation started", the first update, then nothing until the last
	// (throttled to one a second), which never says 100 before the image is complete.
	p := st.progress
	if len(p) < 3 || len(p) > 5 || p[0] != 0 || p[1] != 10 || p[len(p)-1] != 99 {
		t.Errorf("progress writes %v, want [0 10 … 99], throttled", p)
	}
}

func TestRunFidelityMessage(t *testing.T) {
	st, a := openStore(t)
	img := newImage(t, st, a, nil)
	r, _, _ := newRunner(t, st, engineFunc(func(_ context.Context, _ *plan.Plan, out string, _ generate.Progress) (*generate.Result, error) {
		res := writeArtifact(t, out, "web.raw", "raw")
		res.Fidelity = &record.Fidelity{}
		res.Fidelity.Files.Compared, res.Fidelity.Files.Same = 4, 3
		res.Fidelity.Packages.Compared, res.Fidelity.Packages.Same = 6, 5
		return res, nil
	}))
	if err := r.Run(context.Background(), img.ID); err != nil {
		t.Fatal(err)
	}
	got := getImage(t, st, img.ID)
	want := "Generation complete: 3 of 4 scanned files and 5 of 6 packages identical (see the fidelity report)"
	if got.State != store.ImageComplete || got.Message != want {
		t.Errorf("state %s, message %q, want %q", got.State, got.Message, want)
	}
	var f record.Fidelity
	if err := json.Unmarshal(got.Fidelity, &f); err != nil || f.Files.Same != 3 || f.Packages.Compared != 6 {
		t.Errorf("fidelity %s (%v)", got.Fidelity, err)
	}
}

func TestRunFailures(t *testing.T) {
	long := strings.Repeat("é", 400) // runes, not bytes, are cut
	for _, tc := range []struct {
		name        string
		spec        []byte
		engineErr   error
		putErr      error
		wantMessage string
		wantError   string // ErrorMsg
		wantDetail  string
	}{
		{name: "engine error", engineErr: errBoom, wantMessage: "Generation failed", wantError: "boom", wantDetail: "boom"},
		{name: "long engine error", engineErr: fmt.Errorf("%s", long), wantMessage: "Generation failed",
			wantError: strings.Repeat("é", 300) + "…", wantDetail: long},
		{name: "unreadable plan", spec: []byte(`{"planVersion":`), wantMessage: "the stored plan is unreadable",
			wantError: "stored plan: unexpected end of JSON input", wantDetail: "stored plan: unexpected end of JSON input"},
		{name: "plan from a newer Kiln", spec: []byte(`{"planVersion": 99}`), wantMessage: "the stored plan is unreadable",
			wantError: "stored plan: version 99 is newer than this Kiln's (1)", wantDetail: "stored plan: version 99 is newer than this Kiln's (1)"},
		{name: "artifact store", putErr: errBoom, wantMessage: "Storing the image failed", wantError: "boom", wantDetail: "boom"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, a := openStore(t)
			img := newImage(t, st, a, tc.spec)
			ran := false
			var outDir string
			r, arts, _ := newRunner(t, st, engineFunc(func(_ context.Context, _ *plan.Plan, out string, _ generate.Progress) (*generate.Result, error) {
				ran, outDir = true, out
				if tc.engineErr != nil {
					return nil, tc.engineErr
				}
				return writeArtifact(t, out, "web.qcow2", "x"), nil
			}))
			arts.putErr = tc.putErr
			if err := r.Run(context.Background(), img.ID); err != nil {
				t.Fatalf("Run = %v, want nil (a failed build is not retried)", err)
			}
			got := getImage(t, st, img.ID)
			if got.State != store.ImageError || got.Message != tc.wantMessage || got.ErrorMsg != tc.wantError || got.DetailedErr != tc.wantDetail {
				t.Errorf("image: state %s, message %q, error %q, detail %q", got.State, got.Message, got.ErrorMsg, got.DetailedErr)
			}
			if !utf8.ValidString(got.ErrorMsg) {
				t.Errorf("error message is not valid UTF-8: %q", got.ErrorMsg)
			}
			if tc.spec != nil && ran {
				t.Error("the engine ran an unreadable spec")
			}
			if ran {
				if _, err := os.Stat(outDir); !os.IsNotExist(err) {
					t.Errorf("output directory %s left behind (%v)", outDir, err)
				}
			}
		})
	}
}

// A cancel seen in the store (another node, a delete) stops the build, and
// the image stays cancelled.
func TestRunStopsWhenTheImageIsCancelled(t *testing.T) {
	ctx := context.Background()
	st, a := openStore(t)
	img := newImage(t, st, a, nil)
	r, _, _ := newRunner(t, st, engineFunc(func(ctx context.Context, _ *plan.Plan, _ string, progress generate.Progress) (*generate.Result, error) {
		if _, err := st.FinishImage(ctx, img.ID, store.ImageOutcome{State: store.ImageCancelled, Message: "Generation cancelled"}); err != nil {
			t.Error(err)
		}
		progress(generate.Update{Stage: generate.StageDisk, Percent: 50})
		<-ctx.Done() // the runner cancels the build
		return nil, fmt.Errorf("disk: %w", ctx.Err())
	}))
	if err := r.Run(ctx, img.ID); err != nil {
		t.Fatalf("Run = %v, want nil: the job is over", err)
	}
	if got := getImage(t, st, img.ID); got.State != store.ImageCancelled || got.Message != "Generation cancelled" {
		t.Errorf("image %s %q, want cancelled", got.State, got.Message)
	}
}

// A build interrupted by the process shutting down is left to be retried.
func TestRunInterruptedIsRetried(t *testing.T) {
	st, a := openStore(t)
	img := newImage(t, st, a, nil)
	ctx, stop := context.WithCancel(context.Background())
	r, _, _ := newRunner(t, st, engineFunc(func(ctx context.Context, _ *plan.Plan, _ string, _ generate.Progress) (*generate.Result, error) {
		stop()
		<-ctx.Done()
		return nil, ctx.Err()
	}))
	if err := r.Run(ctx, img.ID); err == nil || !strings.Contains(err.Error(), "interrupted") {
		t.Fatalf("Run = %v, want an interruption error (the queue retries)", err)
	}
	if got := getImage(t, st, img.ID); got.Terminal() {
		t.Errorf("image is %s, want it left for the retry", got.State)
	}
}

// An image cancelled after its build finished keeps no artifact.
func TestRunCancelledAtTheLastMoment(t *testing.T) {
	st, a := openStore(t)
	img := newImage(t, st, a, nil)
	r, arts, _ := newRunner(t, st, engineFunc(func(ctx context.Context, _ *plan.Plan, out string, _ generate.Progress) (*generate.Result, error) {
		if _, err := st.FinishImage(ctx, img.ID, store.ImageOutcome{State: store.ImageCancelled, Message: "Generation cancelled"}); err != nil {
			t.Error(err)
		}
		return writeArtifact(t, out, "web.qcow2", "late"), nil
	}))
	if err := r.Run(context.Background(), img.ID); err != nil {
		t.Fatal(err)
	}
	key := fmt.Sprintf("images/%d/web.qcow2", img.ID)
	if len(arts.deleted) != 1 || arts.deleted[0] != key {
		t.Errorf("deleted artifacts %v, want [%s]", arts.deleted, key)
	}
	if got := getImage(t, st, img.ID); got.State != store.ImageCancelled || got.Artifact != "" {
		t.Errorf("image %s with artifact %q, want cancelled without one", got.State, got.Artifact)
	}
}

// Jobs of images that are gone or already terminal end at once.
func TestRunSkipsWhatIsNotToBuild(t *testing.T) {
	ctx := context.Background()
	st, a := openStore(t)
	cancelled := newImage(t, st, a, nil)
	if _, err := st.FinishImage(ctx, cancelled.ID, store.ImageOutcome{State: store.ImageCancelled, Message: "Generation cancelled"}); err != nil {
		t.Fatal(err)
	}
	deleted := newImage(t, st, a, nil)
	if err := st.DeleteImage(ctx, deleted.ID); err != nil {
		t.Fatal(err)
	}
	r, _, _ := newRunner(t, st, engineFunc(func(context.Context, *plan.Plan, string, generate.Progress) (*generate.Result, error) {
		t.Error("the engine ran")
		return nil, errBoom
	}))
	for _, id := range []int64{cancelled.ID, deleted.ID} {
		if err := r.Run(ctx, id); err != nil {
			t.Errorf("Run(%d) = %v", id, err)
		}
	}
	if got := getImage(t, st, cancelled.ID); got.State != store.ImageCancelled {
		t.Errorf("cancelled image became %s", got.State)
	}
}
