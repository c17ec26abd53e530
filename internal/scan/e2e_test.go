package scan

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/kilnhq/kiln/internal/testenv"
)

// e2eBase finds a Debian tree bootstrapped by internal/rootfs's end-to-end tests
// (bases/<key>/tree, complete when meta.json exists) in $KILN_E2E_CACHE or the
// default /tmp/kiln-e2e-cache.
func e2eBase(t *testing.T) string {
	t.Helper()
	testenv.RequireE2E(t, "scans a real bootstrapped Debian tree")
	var caches []string
	if c := os.Getenv("KILN_E2E_CACHE"); c != "" {
		caches = append(caches, c)
	}
	caches = append(caches, "/tmp/kiln-e2e-cache")
	for _, c := range caches {
		metas, _ := filepath.Glob(filepath.Join(c, "bases", "*", "meta.json"))
		for _, m := range metas {
			tree := filepath.Join(filepath.Dir(m), "tree")
			if _, err := os.Stat(filepath.Join(tree, "var/lib/dpkg/status")); err == nil {
				return tree
			}
		}
	}
	t.Skip("no bootstrapped base in the e2e cache: run internal/rootfs's e2e tests first")
	return ""
}

// peakRSS is the process's peak resident set (VmHWM), as /proc reports it.
func peakRSS(t *testing.T) string {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

func TestE2EScanBootstrappedBase(t *testing.T) {
	root := e2eBase(t)
	ctx := context.Background()
	t.Logf("scanning %s", root)

	start := time.Now()
	rep, err := Inventory(ctx, root, InventoryOptions{AgentVersion: "e2e"})
	if err != nil {
		t.Fatalf("Inventory: %v", err)
	}
	t.Logf("inventory: %s %s, %d packages, %d users, %d warnings in %v",
		rep.Distribution.PrettyName, rep.Distribution.Arch, len(rep.Packages), len(rep.Profile.Users), len(rep.Warnings), time.Since(start))
	if rep.Distribution.ID != "debian" || rep.Distribution.Arch == "" {
		t.Errorf("distribution %+v", rep.Distribution)
	}
	if out, err := exec.CommandContext(ctx, "dpkg-query", "--admindir="+filepath.Join(root, "var/lib/dpkg"), "-W").Output(); err != nil {
		t.Logf("dpkg-query unavailable, package count not cross-checked: %v", err)
	} else if n := bytes.Count(out, []byte("\n")); n != len(rep.Packages) {
		t.Errorf("%d packages, dpkg-query -W lists %d", len(rep.Packages), n)
	}

	logIndexCost(t, root)

	start = time.Now()
	var entries []string
	st, err := Overlay(ctx, root, OverlayOptions{}, func(e Entry) error {
		if len(entries) < 400 {
			entries = append(entries, e.Reason.String()+" "+e.Kind.String()+" "+e.Path)
		}
		return nil
	})
	elapsed := time.Since(start)
	if err != nil {
		t.Fatalf("Overlay: %v", err)
	}
	t.Logf("overlay: %+v", st)
	t.Logf("overlay: %d entries, %.1f MiB, walked %d entries in %v (%.0f entries/s), peak RSS %s",
		st.Entries, float64(st.Bytes)/(1<<20), st.Walked, elapsed.Round(time.Millisecond), float64(st.Walked)/elapsed.Seconds(), peakRSS(t))
	if testing.Verbose() {
		t.Logf("overlay entries:\n%s", strings.Join(entries, "\n"))
	}
	// A fresh bootstrap: nothing a package installed was changed, and what no
	// package owns (generated caches, maintainer-script output) is a small part.
	if st.Modified != 0 {
		t.Errorf("%d modified package files in a fresh bootstrap", st.Modified)
	}
	if st.Entries == 0 || st.Entries > st.Walked/10 {
		t.Errorf("overlay of a fresh bootstrap has %d of %d entries", st.Entries, st.Walked)
	}
	if st.Skipped != 0 {
		t.Errorf("%d entries skipped", st.Skipped)
	}
}

// TestE2EScanLiveSystem scans the running system (root "/") for the memory bound:
// KILN_E2E=1 KILN_E2E_SCAN_LIVE=1, with KILN_E2E_SCAN_EXCLUDE=/a:/b for paths to
// leave alone. It reads every file of the machine: minutes on a big one.
func TestE2EScanLiveSystem(t *testing.T) {
	testenv.RequireE2E(t, "scans this machine, with KILN_E2E_SCAN_LIVE=1")
	if os.Getenv("KILN_E2E_SCAN_LIVE") != "1" {
		t.Skip("set KILN_E2E_SCAN_LIVE=1 too to scan this machine")
	}
	var exclude []string
	if v := os.Getenv("KILN_E2E_SCAN_EXCLUDE"); v != "" {
		exclude = strings.Split(v, ":")
	}
	logIndexCost(t, "/")
	start := time.Now()
	st, err := Overlay(context.Background(), "/", OverlayOptions{Exclude: exclude, NoSHA256: true}, func(Entry) error { return nil })
	elapsed := time.Since(start)
	if err != nil {
		t.Fatalf("Overlay: %v", err)
	}
	t.Logf("live overlay: %+v in %v (%.0f entries/s), peak RSS %s", st, elapsed.Round(time.Millisecond), float64(st.Walked)/elapsed.Seconds(), peakRSS(t))
}

// logIndexCost logs the heap the package index of root takes.
func logIndexCost(t *testing.T, root string) {
	t.Helper()
	tr, err := newTree(root)
	if err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	idx, err := loadPkgIndex(context.Background(), tr)
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	t.Logf("package index: %d paths, %.1f MiB of heap", len(idx.paths), float64(after.HeapAlloc-before.HeapAlloc)/(1<<20))
	runtime.KeepAlive(idx)
}
