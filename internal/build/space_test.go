package build_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kilnhq/kiln/internal/build"
	"github.com/kilnhq/kiln/internal/generate"
	"github.com/kilnhq/kiln/internal/plan"
	"github.com/kilnhq/kiln/internal/store"
)

// filesystems is a fake statfs: free bytes (and a device) per directory.
type filesystems map[string]build.FS

func (f filesystems) stat(dir string) (build.FS, error) { return f[dir], nil }

func spaceRunner(t *testing.T, st build.Store, eng build.Engine, fs filesystems, work, cache string) *build.Runner {
	t.Helper()
	return build.NewRunner(st, &dirArtifacts{dir: t.TempDir()}, eng, build.Config{WorkDir: work, CacheDir: cache,
		MinFreeBytes: 1 << 30, StatFS: fs.stat, Logger: slog.New(slog.DiscardHandler)})
}

// TestRunRefusesWithoutDiskSpace: a generation the work filesystem has no
// room for fails at once with a message saying what is missing where; the
// engine never runs and nothing is written.
func TestRunRefusesWithoutDiskSpace(t *testing.T) {
	st, a := openStore(t)
	img := newImage(t, st, a, nil) // a 2 GiB disk (the spec's default)
	work := filepath.Join(t.TempDir(), "tmp")
	fs := filesystems{work: {Free: 2 << 30, Device: 1}}
	r := spaceRunner(t, st, engineFunc(func(context.Context, *plan.Plan, string, generate.Progress) (*generate.Result, error) {
		t.Error("the engine ran without the space it needs")
		return nil, errBoom
	}), fs, work, "")
	if err := r.Run(context.Background(), img.ID); err != nil {
		t.Fatalf("Run = %v, want nil (a refused build is not retried)", err)
	}
	got := getImage(t, st, img.ID)
	if got.State != store.ImageError || got.Message != "Not enough free disk space on the build host" ||
		!strings.Contains(got.ErrorMsg, "needs 3.0 GiB on "+work) || !strings.Contains(got.ErrorMsg, "2.0 GiB are free") ||
		!strings.Contains(got.ErrorMsg, "smaller disk") {
		t.Fatalf("image: %s %q %q", got.State, got.Message, got.ErrorMsg)
	}
	if _, err := os.Stat(work); !os.IsNotExist(err) {
		t.Errorf("the refused build made its work directory (%v)", err)
	}
}

// TestRunCountsRunningGenerations: space promised to a running generation
// is not promised again, and comes back when it ends.
func TestRunCountsRunningGenerations(t *testing.T) {
	st, a := openStore(t)
	first, second, third := newImage(t, st, a, nil), newImage(t, st, a, nil), newImage(t, st, a, nil)
	work := filepath.Join(t.TempDir(), "tmp")
	fs := filesystems{work: {Free: 4 << 30, Device: 1}} // room for one 2 GiB build and the 1 GiB kept free, not two
	var r *build.Runner
	nested := false
	r = spaceRunner(t, st, engineFunc(func(ctx context.Context, p *plan.Plan, out string, _ generate.Progress) (*generate.Result, error) {
		if !nested {
			// While the first runs, the second does not fit.
			nested = true
			if err := r.Run(ctx, second.ID); err != nil {
				t.Error(err)
			}
		}
		return writeArtifact(t, out, "web.qcow2", "x"), nil
	}), fs, work, "")
	if err := r.Run(context.Background(), first.ID); err != nil {
		t.Fatal(err)
	}
	if got := getImage(t, st, first.ID); got.State != store.ImageComplete {
		t.Fatalf("first image %s %q", got.State, got.ErrorMsg)
	}
	if got := getImage(t, st, second.ID); got.State != store.ImageError || !strings.Contains(got.ErrorMsg, "2.0 GiB for the generations running") {
		t.Fatalf("second image, started while the first ran: %s %q", got.State, got.ErrorMsg)
	}
	if err := r.Run(context.Background(), third.ID); err != nil {
		t.Fatal(err)
	}
	if got := getImage(t, st, third.ID); got.State != store.ImageComplete {
		t.Fatalf("third image, started after the first ended: %s %q", got.State, got.ErrorMsg)
	}
}

// TestRunChecksTheCacheFilesystem: a cache on a filesystem of its own must
// keep the reserve free too.
func TestRunChecksTheCacheFilesystem(t *testing.T) {
	st, a := openStore(t)
	img := newImage(t, st, a, nil)
	work, cache := filepath.Join(t.TempDir(), "tmp"), filepath.Join(t.TempDir(), "cache")
	fs := filesystems{work: {Free: 100 << 30, Device: 1}, cache: {Free: 100 << 20, Device: 2}}
	r := spaceRunner(t, st, engineFunc(func(context.Context, *plan.Plan, string, generate.Progress) (*generate.Result, error) {
		t.Error("the engine ran with a full cache filesystem")
		return nil, errBoom
	}), fs, work, cache)
	if err := r.Run(context.Background(), img.ID); err != nil {
		t.Fatal(err)
	}
	if got := getImage(t, st, img.ID); got.State != store.ImageError || !strings.Contains(got.ErrorMsg, "package cache "+cache) {
		t.Fatalf("image: %s %q", got.State, got.ErrorMsg)
	}
}

// TestRunReadsTheRealFilesystem: without a fake, the runner reads the work
// directory's filesystem, even before the directory exists.
func TestRunReadsTheRealFilesystem(t *testing.T) {
	st, a := openStore(t)
	img := newImage(t, st, a, nil)
	work := filepath.Join(t.TempDir(), "not", "yet", "tmp")
	r := build.NewRunner(st, &dirArtifacts{dir: t.TempDir()}, engineFunc(func(context.Context, *plan.Plan, string, generate.Progress) (*generate.Result, error) {
		t.Error("the engine ran with an exabyte kept free")
		return nil, errBoom
	}), build.Config{WorkDir: work, MinFreeBytes: 1 << 60, Logger: slog.New(slog.DiscardHandler)})
	if err := r.Run(context.Background(), img.ID); err != nil {
		t.Fatal(err)
	}
	if got := getImage(t, st, img.ID); got.State != store.ImageError || !strings.Contains(got.ErrorMsg, "GiB are free") {
		t.Fatalf("image: %s %q", got.State, got.ErrorMsg)
	}
}
