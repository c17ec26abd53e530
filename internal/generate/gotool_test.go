package generate

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kilnhq/kiln/internal/distro"
)

// TestWorkFilesHiddenFromGoTool puts a data directory inside a Go module, with
// a build's workspace and a cached base in it, each holding a file the go tool
// cannot read as Go (as a tree may; a running build's /proc is worse): `go list
// ./...` fails until the engine's directories are marked, then lists only the
// module's own package.
func TestWorkFilesHiddenFromGoTool(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go is not in PATH")
	}
	mod := t.TempDir()
	writeTestFile(t, filepath.Join(mod, "go.mod"), "module example.com/m\n\ngo 1.22\n")
	writeTestFile(t, filepath.Join(mod, "m.go"), "package m\n")
	work, cache := filepath.Join(mod, "data", "tmp"), filepath.Join(mod, "data", "cache")
	for _, tree := range []string{filepath.Join(work, "build-1-x", "tree"), filepath.Join(cache, "bases", "k", "tree")} {
		writeTestFile(t, filepath.Join(tree, "usr", "share", "doc", "x", "example.go"), "not Go\n")
	}
	goList := func() (string, error) {
		cmd := exec.Command(gobin, "list", "./...")
		cmd.Dir = mod
		cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=", "GOTOOLCHAIN=local")
		out, err := cmd.CombinedOutput()
		return strings.TrimSpace(string(out)), err
	}
	if out, err := goList(); err == nil || !strings.Contains(out, "example.go") {
		t.Fatalf("go list ./... did not stumble on the trees, so this test proves nothing: %v\n%s", err, out)
	}

	if os.Geteuid() == 0 { // New itself (the rootfs cache needs root)
		mirrors, err := distro.NewMirrors("http://deb.debian.org/debian", nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := New(Config{WorkDir: work, CacheDir: cache, Mirrors: mirrors}); err != nil {
			t.Fatal(err)
		}
	} else {
		for _, dir := range []string{work, cache} {
			if err := hideFromGoTool(dir); err != nil {
				t.Fatal(err)
			}
		}
	}
	if out, err := goList(); err != nil || out != "example.com/m" {
		t.Errorf("go list ./... = %q, %v; want only example.com/m", out, err)
	}
	// Markers are written once and never replace a go.mod.
	if err := hideFromGoTool(mod); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(mod, "go.mod")); !strings.HasPrefix(string(b), "module example.com/m") {
		t.Errorf("the module's go.mod was replaced:\n%s", b)
	}
}

func writeTestFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
