package distro

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/kilnhq/kiln/internal/debian"
	"github.com/kilnhq/kiln/internal/testenv"
)

// TestRealMirrorRefresh reads the real package indexes from the mirror apt is
// configured with. KILN_E2E=1 only: it downloads ~25 MB.
func TestRealMirrorRefresh(t *testing.T) {
	testenv.RequireE2E(t, "downloads the real package indexes, ~25 MB")
	mirrors, err := LoadMirrors("/", nil, slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	st := newFakePackages()
	ix := NewIndexer(st, mirrors, IndexerOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	for _, d := range All() {
		start := time.Now()
		if err := ix.Refresh(ctx, d.ID); err != nil {
			t.Fatalf("refresh %s: %v", d.Codename, err)
		}
		pkgs := st.pkgs[d.ID]
		t.Logf("Debian %s (%s) from %s: %d packages in %v", d.Version, d.Codename, mirrors.URI(d.ID), len(pkgs), time.Since(start).Round(time.Millisecond))
		if len(pkgs) < 50000 {
			t.Errorf("%s: only %d packages", d.Codename, len(pkgs))
		}
		names := map[string]bool{}
		for _, p := range pkgs {
			names[p.Name] = true
			if p.Version == "" || p.Arch == "" || p.Filename == "" {
				t.Fatalf("%s: incomplete row %+v", d.Codename, p)
			}
		}
		// Every package a standard profile asks for exists in that release.
		for _, p := range d.Profiles {
			for _, name := range append(p.Packages, debian.BootPackages(d.Version)...) {
				if !names[name] {
					t.Errorf("%s profile %s: package %q not in the index", d.Codename, p.Name, name)
				}
			}
		}
	}
}
