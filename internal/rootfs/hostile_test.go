package rootfs

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/kilnhq/kiln/internal/treefs/treefstest"
)

// A package of the bootstrap (from a mirror the tenant chose) may ship apt's
// cache directories as absolute symlinks: cleaning the tree and harvesting
// its .debs happen inside the tree, and never delete or move host files.
func TestHarvestAndStripStayInTheTree(t *testing.T) {
	tree, pool := t.TempDir(), t.TempDir()
	s := treefstest.Plant(t, tree, "var/cache/apt/archives", "var/lib/apt/lists")
	deb := filepath.Join(s.Inside("var/cache/apt/archives"), "hello_1.0_amd64.deb")
	if err := os.WriteFile(deb, []byte("deb"), 0o644); err != nil {
		t.Fatal(err)
	}
	stats, err := harvestDebs(tree, pool)
	if err != nil {
		t.Fatal(err)
	}
	if stats.Downloaded != 1 {
		t.Errorf("stats %+v, want the tree's .deb", stats)
	}
	if _, err := os.Stat(filepath.Join(pool, "hello_1.0_amd64.deb")); err != nil {
		t.Errorf("the tree's .deb is not in the pool: %v", err)
	}
	if err := stripAptCaches(tree); err != nil {
		t.Fatal(err)
	}
	for _, l := range []string{"var/cache/apt/archives", "var/lib/apt/lists"} {
		if _, err := os.Stat(filepath.Join(s.Inside(l), "keep")); !os.IsNotExist(err) {
			t.Errorf("%s/keep inside the tree was not cleaned: %v", l, err)
		}
	}
}
