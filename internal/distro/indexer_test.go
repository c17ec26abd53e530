package distro

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kilnhq/kiln/internal/store"
	"github.com/ulikunitz/xz"
)

// fakePackages is an in-memory store.Packages, enough for the indexer.
type fakePackages struct {
	mu        sync.Mutex
	pkgs      map[int64][]store.Package
	refreshed map[int64]time.Time
	replaces  int
}

func newFakePackages() *fakePackages {
	return &fakePackages{pkgs: map[int64][]store.Package{}, refreshed: map[int64]time.Time{}}
}

func (f *fakePackages) ReplacePackages(_ context.Context, distID int64, pkgs []store.Package, refreshed time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.replaces++
	f.pkgs[distID] = append([]store.Package(nil), pkgs...)
	f.refreshed[distID] = refreshed
	return nil
}

func (f *fakePackages) SearchPackages(context.Context, int64, store.PackageFilter) ([]store.Package, int, error) {
	panic("not used by the indexer")
}

func (f *fakePackages) GetPackage(context.Context, int64, int64) (*store.Package, error) {
	panic("not used by the indexer")
}

func (f *fakePackages) PackagesByName(context.Context, int64, []string) ([]store.Package, error) {
	panic("not used by the indexer")
}

func (f *fakePackages) PackageIndex(_ context.Context, distID int64) (int, time.Time, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.pkgs[distID]), f.refreshed[distID], nil
}

func xzBytes(t *testing.T, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w, err := xz.WriterConfig{DictCap: 1 << 16}.NewWriter(&b) // a small dictionary keeps tests fast
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func gzBytes(t *testing.T, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// mirror serves files by path and records every request.
type mirror struct {
	mu       sync.Mutex
	files    map[string][]byte
	status   map[string]int
	requests []string
}

func (m *mirror) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m.mu.Lock()
	m.requests = append(m.requests, r.URL.Path)
	body, ok := m.files[r.URL.Path]
	code := m.status[r.URL.Path]
	m.mu.Unlock()
	if code != 0 {
		http.Error(w, "boom", code)
		return
	}
	if !ok {
		http.NotFound(w, r)
		return
	}
	_, _ = w.Write(body)
}

func (m *mirror) requested(prefix string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, r := range m.requests {
		if strings.HasPrefix(r, prefix) {
			n++
		}
	}
	return n
}

const idx = "/main/binary-amd64/Packages"

func newTestIndexer(t *testing.T, m *mirror, st store.Packages, now time.Time) *Indexer {
	t.Helper()
	srv := httptest.NewServer(m)
	t.Cleanup(srv.Close)
	mirrors, err := NewMirrors(srv.URL+"/debian", nil)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	return NewIndexer(st, mirrors, IndexerOptions{Client: srv.Client(), Logger: log, Now: func() time.Time { return now }})
}

func TestRefreshMergesSuites(t *testing.T) {
	m := &mirror{files: map[string][]byte{
		"/debian/dists/bookworm" + idx + ".xz":         xzBytes(t, readFixture(t, "Packages")),
		"/debian/dists/bookworm-updates" + idx + ".gz": gzBytes(t, readFixture(t, "Packages-updates")), // no .xz: falls back
	}}
	st := newFakePackages()
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	ix := newTestIndexer(t, m, st, now)
	if err := ix.Refresh(context.Background(), 2); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range st.pkgs[2] {
		if p.DistributionID != 2 {
			t.Errorf("%s: distribution %d", p.Name, p.DistributionID)
		}
		got = append(got, p.Name+"="+p.Version+"/"+p.Arch)
	}
	sort.Strings(got)
	want := []string{"0ad=0.0.26-3/amd64", "adduser=3.134/all", "nginx=1.22.1-9+b1/amd64", "nginx=1.22.1-9+deb12u1/amd64"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("index = %v, want %v (adduser once, both nginx versions)", got, want)
	}
	if st.refreshed[2] != now {
		t.Errorf("refreshed = %v", st.refreshed[2])
	}
	for _, p := range st.pkgs[2] {
		if p.Name == "nginx" && p.Version == "1.22.1-9+deb12u1" && (p.Size != 1211*1024 || p.Section != "httpd" || !strings.HasSuffix(p.Filename, "deb12u1_amd64.deb")) {
			t.Errorf("nginx from updates: %+v", p)
		}
	}
}

func TestRefreshSkipsMissingUpdatesSuite(t *testing.T) {
	m := &mirror{files: map[string][]byte{"/debian/dists/trixie" + idx + ".gz": gzBytes(t, readFixture(t, "Packages"))}}
	st := newFakePackages()
	ix := newTestIndexer(t, m, st, time.Now())
	if err := ix.Refresh(context.Background(), 3); err != nil {
		t.Fatal(err)
	}
	if len(st.pkgs[3]) != 3 {
		t.Errorf("%d packages, want 3", len(st.pkgs[3]))
	}
}

func TestRefreshFailuresKeepTheOldIndex(t *testing.T) {
	good := xzBytes(t, readFixture(t, "Packages"))
	for name, m := range map[string]*mirror{
		"missing release suite": {files: map[string][]byte{"/debian/dists/bookworm-updates" + idx + ".xz": good}},
		"server error":          {files: map[string][]byte{}, status: map[string]int{"/debian/dists/bookworm" + idx + ".xz": 500}},
		"corrupt xz":            {files: map[string][]byte{"/debian/dists/bookworm" + idx + ".xz": good[:len(good)/2]}},
		"not xz at all":         {files: map[string][]byte{"/debian/dists/bookworm" + idx + ".xz": []byte("<html>captive portal</html>")}},
		"empty index":           {files: map[string][]byte{"/debian/dists/bookworm" + idx + ".xz": xzBytes(t, nil)}},
		"error in updates":      {files: map[string][]byte{"/debian/dists/bookworm" + idx + ".xz": good}, status: map[string]int{"/debian/dists/bookworm-updates" + idx + ".xz": 503}},
	} {
		t.Run(name, func(t *testing.T) {
			st := newFakePackages()
			old := []store.Package{{DistributionID: 2, Name: "old", Version: "1"}}
			_ = st.ReplacePackages(context.Background(), 2, old, time.Unix(1, 0))
			ix := newTestIndexer(t, m, st, time.Now())
			err := ix.Refresh(context.Background(), 2)
			if err == nil {
				t.Fatal("Refresh succeeded")
			}
			if !strings.Contains(err.Error(), "Debian 12") {
				t.Errorf("error does not say what failed: %v", err)
			}
			if len(st.pkgs[2]) != 1 || st.pkgs[2][0].Name != "old" {
				t.Errorf("index replaced after a failure: %v", st.pkgs[2])
			}
		})
	}
}

func TestRefreshUnknownDistribution(t *testing.T) {
	ix := newTestIndexer(t, &mirror{}, newFakePackages(), time.Now())
	if err := ix.Refresh(context.Background(), 99); err == nil {
		t.Error("Refresh(99) succeeded")
	}
}

func TestRefreshHonoursCancellation(t *testing.T) {
	ix := newTestIndexer(t, &mirror{files: map[string][]byte{}}, newFakePackages(), time.Now())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := ix.Refresh(ctx, 2); err == nil || !strings.Contains(err.Error(), "context canceled") {
		t.Errorf("err = %v", err)
	}
}

func TestEnsureFreshRefreshesOnlyMissingAndStale(t *testing.T) {
	pk := xzBytes(t, readFixture(t, "Packages"))
	m := &mirror{files: map[string][]byte{
		"/debian/dists/bullseye" + idx + ".xz": pk,
		"/debian/dists/bookworm" + idx + ".xz": pk,
		"/debian/dists/trixie" + idx + ".xz":   pk,
	}}
	now := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	st := newFakePackages()
	ctx := context.Background()
	_ = st.ReplacePackages(ctx, 1, []store.Package{{Name: "fresh"}}, now.Add(-time.Hour))    // fresh
	_ = st.ReplacePackages(ctx, 2, []store.Package{{Name: "stale"}}, now.Add(-48*time.Hour)) // stale
	st.replaces = 0                                                                          // trixie: never indexed
	ix := newTestIndexer(t, m, st, now)
	if err := ix.EnsureFresh(ctx, 24*time.Hour); err != nil {
		t.Fatal(err)
	}
	if m.requested("/debian/dists/bullseye") != 0 {
		t.Error("fresh bullseye index downloaded again")
	}
	if st.replaces != 2 || len(st.pkgs[2]) != 3 || len(st.pkgs[3]) != 3 || st.pkgs[1][0].Name != "fresh" {
		t.Errorf("replaces=%d bookworm=%d trixie=%d", st.replaces, len(st.pkgs[2]), len(st.pkgs[3]))
	}

	// One failing distribution does not stop the others, and is reported.
	delete(m.files, "/debian/dists/bookworm"+idx+".xz")
	st2 := newFakePackages()
	ix2 := newTestIndexer(t, m, st2, now)
	err := ix2.EnsureFresh(ctx, time.Hour)
	if err == nil || !strings.Contains(err.Error(), "Debian 12") {
		t.Errorf("err = %v", err)
	}
	if len(st2.pkgs[1]) != 3 || len(st2.pkgs[3]) != 3 {
		t.Errorf("others not refreshed: %d %d", len(st2.pkgs[1]), len(st2.pkgs[3]))
	}
}

func TestLimitReaderFailsInsteadOfTruncating(t *testing.T) {
	l := &limitReader{r: strings.NewReader("0123456789"), left: 4, url: "u"}
	b, err := io.ReadAll(l)
	if err == nil {
		t.Errorf("read %q without error", b)
	}
	l = &limitReader{r: strings.NewReader("0123"), left: 4, url: "u"}
	if b, err := io.ReadAll(l); err != nil || string(b) != "0123" {
		t.Errorf("exact size: %q, %v", b, err)
	}
}
