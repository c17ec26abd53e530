package api_test

import (
	"os"
	"path"
	"path/filepath"
	"testing"

	"github.com/kilnhq/kiln/internal/overlay/overlaytest"
)

// TestScanFilesFromTheIndex: the file list is made once, at upload; listing
// never reads the overlay again (here it is gone, and the list still
// answers). A scan without a list (uploaded by an older Kiln) gets one made
// from its overlay, once.
func TestScanFilesFromTheIndex(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	alice := migrationUser(t, e, "alice")
	scanPath := newScan(t, alice, "web-01")
	ov := goodOverlay(t)
	alice.doRaw("POST", scanPath+"/overlay?offset=0&complete=true", string(ov), map[string]string{"Content-Type": "application/octet-stream"}).expect(201)
	dir := filepath.Join(e.dir, "artifacts", "scans", path.Base(scanPath))
	index := filepath.Join(dir, "files.jsonl.gz")
	if _, err := os.Stat(index); err != nil {
		t.Fatalf("no file list next to the overlay after the upload: %v", err)
	}

	// Older scans: no list yet. The first listing makes it from the overlay.
	if err := os.Remove(index); err != nil {
		t.Fatal(err)
	}
	alice.do("GET", scanPath+"/files", "").expect(200).has("<fullPath>/etc/nginx/nginx.conf</fullPath>", "<total>5</total>")
	if _, err := os.Stat(index); err != nil {
		t.Fatalf("the list made from the overlay was not kept: %v", err)
	}

	// With the overlay gone, the list still answers: it is not read again.
	if err := os.Remove(filepath.Join(dir, "overlay.tar")); err != nil {
		t.Fatal(err)
	}
	alice.do("GET", scanPath+"/files", "").expect(200).has("<fullPath>/etc/nginx/nginx.conf</fullPath>",
		"<fullPath>/opt/app/run.sh</fullPath>", "<owner>ops</owner>", "<linkTarget>/usr/bin/vim.basic</linkTarget>",
		"<checksum>", "<permissions>0755</permissions>", "<total>5</total>")
	alice.do("GET", scanPath+"/files?dir=/etc/nginx&rellevel=1", "").expect(200).has("nginx.conf", "<total>1</total>").lacks("run.sh")

	// Deleting the scan deletes its list with its overlay.
	alice.do("DELETE", scanPath, "").expect(204)
	if _, err := os.Stat(index); !os.IsNotExist(err) {
		t.Errorf("the file list outlived its scan: %v", err)
	}
}

// TestScanOverlayBombRefused: a 1 MiB gzip overlay that expands to 1 GiB is
// refused with 400; the scan fails and nothing is stored.
func TestScanOverlayBombRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	alice := migrationUser(t, e, "alice")
	scanPath := newScan(t, alice, "web-01")
	bomb := overlaytest.ZeroBomb(t, 1<<30)
	alice.doRaw("POST", scanPath+"/overlay?offset=0&complete=true", string(bomb),
		map[string]string{"Content-Type": "application/octet-stream"}).uforgeError(400, "expands more than 100 times")
	alice.do("GET", scanPath, "").expect(200).has("<error>true</error>")
	dir := filepath.Join(e.dir, "artifacts", "scans", path.Base(scanPath))
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("a refused overlay left %s (%v)", dir, err)
	}
	if left, _ := os.ReadDir(filepath.Join(e.dir, "uploads")); len(left) != 0 {
		t.Errorf("a refused overlay left %d files in uploads/", len(left))
	}
}
