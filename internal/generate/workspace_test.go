package generate

import (
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Workspaces carry the PID, so that the next engine removes those of a
// process that died and leaves those of live ones.
func TestWorkspaceOutlivesOnlyItsProcess(t *testing.T) {
	work := filepath.Join(t.TempDir(), "tmp") // not there yet
	mine, err := Workspace(work, "image-7")
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("build-%d-image-7-", os.Getpid()); filepath.Dir(mine) != work || !strings.HasPrefix(filepath.Base(mine), want) {
		t.Fatalf("workspace %s, want %s/%s…", mine, work, want)
	}
	anon, err := Workspace(work, "")
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("build-%d-", os.Getpid()); !strings.HasPrefix(filepath.Base(anon), want) || strings.Contains(filepath.Base(anon), "--") {
		t.Fatalf("unlabelled workspace %s, want %s…", anon, want)
	}

	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Skip("no process to outlive:", err)
	}
	dead := filepath.Join(work, fmt.Sprintf("build-%d-image-3-x", gone.Process.Pid))
	other := filepath.Join(work, "cache-not-a-build")
	for _, d := range []string{dead, other} {
		if err := os.MkdirAll(filepath.Join(d, "root"), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	removeStale(work, slog.New(slog.DiscardHandler))
	if _, err := os.Stat(dead); !os.IsNotExist(err) {
		t.Errorf("the workspace of dead process %d is still there (%v)", gone.Process.Pid, err)
	}
	for _, d := range []string{mine, anon, other} {
		if _, err := os.Stat(d); err != nil {
			t.Errorf("%s was removed: %v", d, err)
		}
	}
}
