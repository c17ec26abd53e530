package app

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// The data directory holds the database (password hashes, API secrets),
// tenants' images and the overlays of scanned machines: no other local user
// may read any of it. Modes are set explicitly, whatever the umask, and
// again on every start, so that a directory made by an older Kiln (0750) is
// closed too. The database files are the store's (store.Open makes them 0600).

// makePrivate creates the data directory and the directories in it only
// Kiln reads, 0700: artifacts (images, overlays), uploads (overlays
// arriving) and tmp (builds in progress).
// The data directory itself is 0711 when it holds the package cache
// (cacheInside): apt downloads packages as its unprivileged _apt user, which
// must traverse the path to the cache (internal/rootfs keeps it reachable so
// that apt stays sandboxed); traverse-only lets _apt through to what it
// names without letting anyone list the directory or read what is private.
func makePrivate(dataDir string, cacheInside bool) error {
	mode := os.FileMode(0o700)
	if cacheInside {
		mode = 0o711
	}
	if err := privateDir(dataDir, mode); err != nil {
		return err
	}
	for _, d := range []string{"artifacts", "uploads", "tmp"} {
		if err := privateDir(filepath.Join(dataDir, d), 0o700); err != nil {
			return err
		}
	}
	return nil
}

func privateDir(dir string, mode os.FileMode) error {
	if err := os.MkdirAll(dir, mode); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	if err := os.Chmod(dir, mode); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	return nil
}

// inside reports whether path lies in dir (or is dir).
func inside(dir, path string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}
