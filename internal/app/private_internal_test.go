package app

import (
	"os"
	"path/filepath"
	"testing"
)

// TestDataDirectoryTraversableForTheCache: with the package cache inside
// it, the data directory lets apt's _apt user through (0711) and no more;
// what is private stays 0700.
func TestDataDirectoryTraversableForTheCache(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if err := makePrivate(dir, true); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]os.FileMode{".": 0o711, "artifacts": 0o700, "uploads": 0o700, "tmp": 0o700} {
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if got := st.Mode().Perm(); got != want {
			t.Errorf("%s is %04o, want %04o", name, got, want)
		}
	}
	for path, want := range map[string]bool{dir + "/cache": true, dir: true, dir + "2/cache": false, "/var/cache/kiln": false} {
		if got := inside(dir, path); got != want {
			t.Errorf("inside(%s, %s) = %v", dir, path, got)
		}
	}
}
