package app_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/kilnhq/kiln/internal/app"
	"github.com/kilnhq/kiln/internal/store"
)

// TestDataDirectoryPrivate: whatever the umask, and even over a data
// directory an older Kiln left readable, the database, its WAL, the
// artifacts and the directories around them are the service user's only.
// (Not parallel: the umask is the process's.)
func TestDataDirectoryPrivate(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	ctx := context.Background()
	cfg := config(t, "")
	cfg.RunWorkers = true
	// What an older Kiln left: a readable directory and database.
	if err := os.MkdirAll(filepath.Join(cfg.DataDir, "artifacts"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(cfg.DataDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cfg.DataDir, "kiln.db"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	n, err := app.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	closeOnCleanup(t, n.Close)
	if err := n.Start(ctx); err != nil {
		t.Fatal(err)
	}
	// A generation, so that an artifact is stored and the WAL written.
	u, err := n.Store.GetUser(ctx, "admin")
	if err != nil {
		t.Fatal(err)
	}
	a := &store.Appliance{OwnerID: u.ID, Name: "web", Version: "1.0", Revision: 1, Doc: []byte(`{}`)}
	if err := n.Store.CreateAppliance(ctx, a, store.Unlimited()); err != nil {
		t.Fatal(err)
	}
	img := &store.Image{OwnerID: u.ID, ApplianceID: a.ID, FormatID: 1, Name: "web", Version: "1.0", Revision: 1,
		Spec: webPlan(t), State: store.ImageQueued, DownloadKey: "k"}
	if err := n.Store.CreateImage(ctx, img, store.Unlimited()); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Queue.Enqueue(ctx, img.ID); err != nil {
		t.Fatal(err)
	}
	if got := waitImage(t, n.Store, img.ID); got.State != store.ImageComplete {
		t.Fatalf("image %s (%s)", got.State, got.ErrorMsg)
	}

	want := map[string]fs.FileMode{".": 0o700, "kiln.db": 0o600, "kiln.db-wal": 0o600, "kiln.db-shm": 0o600,
		"artifacts": 0o700, "uploads": 0o700, "tmp": 0o700}
	for name, mode := range want {
		st, err := os.Stat(filepath.Join(cfg.DataDir, name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if got := st.Mode().Perm(); got != mode {
			t.Errorf("%s is %04o, want %04o", name, got, mode)
		}
	}
	// Everything the node wrote under artifacts/ is its own.
	err = filepath.WalkDir(filepath.Join(cfg.DataDir, "artifacts"), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if info.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s is %04o: readable by others", p, info.Mode().Perm())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
