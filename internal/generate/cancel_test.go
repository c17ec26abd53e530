package generate_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kilnhq/kiln/internal/distro"
	"github.com/kilnhq/kiln/internal/generate"
	"github.com/kilnhq/kiln/internal/testenv"
)

// TestE2ECancelLeavesNothing cancels a cold build in the middle of the
// bootstrap and checks that no child process and no temporary file survive.
func TestE2ECancelLeavesNothing(t *testing.T) {
	testenv.RequireE2E(t, "cancels a cold build of Debian")
	mirrors, err := distro.LoadMirrors("/", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	work, cache := t.TempDir(), t.TempDir() // a private cache: the bootstrap must really run
	eng, err := generate.New(generate.Config{CacheDir: cache, WorkDir: work, Mirrors: mirrors})
	if err != nil {
		t.Fatal(err)
	}
	s := referenceSpec(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	started := make(chan struct{}, 1)
	errc := make(chan error, 1)
	out := t.TempDir()
	go func() {
		_, err := eng.Run(ctx, planned(t, s), out, func(u generate.Update) {
			if u.Stage == generate.StageRootfs && strings.Contains(u.Message, "download") {
				select {
				case started <- struct{}{}:
				default:
				}
			}
		})
		errc <- err
	}()
	select {
	case <-started:
	case err := <-errc:
		t.Fatalf("build ended before it could be cancelled: %v", err)
	case <-time.After(10 * time.Minute):
		t.Fatal("the bootstrap never started downloading")
	}
	time.Sleep(2 * time.Second)
	cancel()
	select {
	case err := <-errc:
		if !generate.IsCanceled(err) {
			t.Fatalf("want a cancellation error, got %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("Run did not return within a minute of the cancel")
	}
	if left := processesUsing(t, work); len(left) > 0 {
		t.Fatalf("processes survived the cancel: %v", left)
	}
	for _, dir := range []string{work, out} {
		entries, _ := os.ReadDir(dir)
		// The work directory's go.mod marker (gotool.go) is there from New on, by design.
		entries = slices.DeleteFunc(entries, func(e os.DirEntry) bool { return dir == work && e.Name() == "go.mod" })
		if len(entries) > 0 {
			t.Fatalf("%s still holds %d entries after the cancel (first: %s)", dir, len(entries), entries[0].Name())
		}
	}
}

// processesUsing lists the command lines of processes that mention dir.
func processesUsing(t *testing.T, dir string) []string {
	t.Helper()
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	var out []string
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		cmd := strings.ReplaceAll(string(b), "\x00", " ")
		if strings.Contains(cmd, dir) {
			out = append(out, cmd)
		}
	}
	return out
}
