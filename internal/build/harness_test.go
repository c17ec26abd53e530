package build_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/kilnhq/kiln/internal/generate"
	"github.com/kilnhq/kiln/internal/plan"
	"github.com/kilnhq/kiln/internal/spec"
	"github.com/kilnhq/kiln/internal/store"
)

// openStore returns a fresh SQLite store with one user and one appliance.
func openStore(t *testing.T) (*store.SQL, *store.Appliance) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "kiln.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	u := &store.User{Login: "alice", PasswordHash: "x", Active: true}
	if err := st.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	a := &store.Appliance{OwnerID: u.ID, Name: "web", Version: "1.0", Revision: 1, Doc: []byte(`{}`)}
	if err := st.CreateAppliance(ctx, a, store.Unlimited()); err != nil {
		t.Fatal(err)
	}
	return st, a
}

// newImage stores a queued image of a whose spec is raw (a spec named "web" when nil).
func newImage(t *testing.T, st *store.SQL, a *store.Appliance, raw []byte) *store.Image {
	t.Helper()
	if raw == nil {
		var err error
		p, err := plan.New(&spec.Spec{Name: "web", ImageVersion: "1.0", Distribution: spec.Distribution{Release: "12"},
			Output: spec.Output{Format: "QCOW2"}}, plan.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if raw, err = p.Marshal(); err != nil {
			t.Fatal(err)
		}
	}
	img := &store.Image{OwnerID: a.OwnerID, ApplianceID: a.ID, FormatID: 1, Name: a.Name, Version: a.Version,
		Revision: 1, Spec: raw, Request: []byte(`{}`), State: store.ImageQueued, Message: "Generation queued", DownloadKey: "k"}
	if err := st.CreateImage(context.Background(), img, store.Unlimited()); err != nil {
		t.Fatal(err)
	}
	return img
}

func getImage(t *testing.T, st *store.SQL, id int64) *store.Image {
	t.Helper()
	img, err := st.GetImage(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// engineFunc is an engine made of one function.
type engineFunc func(ctx context.Context, p *plan.Plan, outDir string, progress generate.Progress) (*generate.Result, error)

func (f engineFunc) Run(ctx context.Context, p *plan.Plan, outDir string, progress generate.Progress) (*generate.Result, error) {
	return f(ctx, p, outDir, progress)
}

// writeArtifact is what an engine does at the end: a file in outDir.
func writeArtifact(t *testing.T, outDir, name, content string) *generate.Result {
	t.Helper()
	path := filepath.Join(outDir, name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(content))
	return &generate.Result{Path: path, Format: "qcow2", Size: int64(len(content)), SHA256: hex.EncodeToString(sum[:])}
}

// dirArtifacts keeps artifacts as files in a directory.
type dirArtifacts struct {
	dir     string
	mu      sync.Mutex
	putErr  error
	deleted []string
}

func (a *dirArtifacts) PutFile(_ context.Context, key, path, sha string) (int64, string, error) {
	if a.putErr != nil {
		return 0, "", a.putErr
	}
	dst := filepath.Join(a.dir, key)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return 0, "", err
	}
	if err := os.Rename(path, dst); err != nil {
		return 0, "", err
	}
	st, err := os.Stat(dst)
	if err != nil {
		return 0, "", err
	}
	return st.Size(), sha, nil
}

func (a *dirArtifacts) Delete(_ context.Context, key string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.deleted = append(a.deleted, key)
	return os.Remove(filepath.Join(a.dir, key))
}

// countingStore counts the progress writes that reach the store.
type countingStore struct {
	*store.SQL
	mu       sync.Mutex
	progress []int
}

func (s *countingStore) ImageProgress(ctx context.Context, id int64, pct int, msg string) (bool, error) {
	s.mu.Lock()
	s.progress = append(s.progress, pct)
	s.mu.Unlock()
	return s.SQL.ImageProgress(ctx, id, pct, msg)
}

var errBoom = errors.New("boom")
