package upload

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kilnhq/kiln/internal/client"
	"github.com/kilnhq/kiln/internal/record"
	"github.com/kilnhq/kiln/internal/scan"
	"github.com/kilnhq/kiln/internal/scan/upload/uploadtest"
	"github.com/kilnhq/kiln/internal/uforge"
)

func runOptions(t *testing.T, srv *uploadtest.Server, root string) Options {
	return Options{
		Client: &client.Client{BaseURL: srv.URL, User: srv.User, Password: srv.Password, RetryWait: time.Millisecond},
		User:   srv.User, Name: "web01", Root: root, TempDir: t.TempDir(), AgentVersion: "test",
		ChunkSize: testChunk, RetryWait: time.Millisecond, Logger: testLogger(t),
	}
}

func TestRun(t *testing.T) {
	r, _, _ := buildOverlayRoot(t)
	srv := uploadtest.NewServer(t, "alice", "pw")
	var progress bytes.Buffer
	o := runOptions(t, srv, r.Dir)
	o.Overlay, o.Exclude, o.Progress = true, []string{"/srv/cache"}, &progress
	res, err := Run(context.Background(), o)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	siid, overlay, dist := srv.Instance("web01")
	if !res.Created || res.InstanceID != siid || !overlay {
		t.Errorf("result %+v; instance %d overlay %v", res, siid, overlay)
	}
	if uforge.StrValue(dist.Name) != "Debian" || uforge.StrValue(dist.Version) != "12" || uforge.StrValue(dist.Arch) != "x86_64" {
		t.Errorf("distribution %s %s %s", uforge.StrValue(dist.Name), uforge.StrValue(dist.Version), uforge.StrValue(dist.Arch))
	}
	scans := srv.Scans()
	if len(scans) != 1 || scans[0].ID != res.ScanID {
		t.Fatalf("scans %+v, result %+v", scans, res)
	}
	var report record.ScanReport
	if err := json.Unmarshal(scans[0].Report, &report); err != nil {
		t.Fatalf("report: %v", err)
	}
	if report.Distribution.ID != "debian" || len(report.Packages) != 2 || report.AgentVersion != "test" || report.Hostname != "web01" {
		t.Errorf("report %+v", report)
	}
	if state, received, msg, _, _ := scans[0].State(); state != "complete" || received != res.Size {
		t.Errorf("server: %s (%s), %d bytes; agent sent %d", state, msg, received, res.Size)
	}
	data := srv.OverlayBytes(res.ScanID)
	if sha(data) != res.SHA256 {
		t.Error("sha256 differs")
	}
	m, _ := readTar(t, data)
	for _, want := range []string{"etc/motd", "opt/app/bin/run", "srv/www/index.html"} {
		if _, ok := m[want]; !ok {
			t.Errorf("%s not in the overlay", want)
		}
	}
	if _, ok := m["srv/cache/big.bin"]; ok {
		t.Error("excluded path in the overlay")
	}
	lines := strings.Split(strings.TrimSpace(progress.String()), "\n")
	if last := lines[len(lines)-1]; !strings.HasPrefix(last, "overlay: ") || !strings.HasSuffix(last, ", done") {
		t.Errorf("progress %q", progress.String())
	}

	// A second scan of the same machine groups under the instance.
	res2, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if res2.Created || res2.InstanceID != res.InstanceID || res2.ScanID == res.ScanID {
		t.Errorf("second run %+v", res2)
	}

	// hammr's rule: an instance is scanned with overlay or without, not both.
	o.Overlay = false
	_, err = Run(context.Background(), o)
	if err == nil || err.Error() != "Performing regular scan into the scanned instance [web01] is not allowed" {
		t.Fatalf("err = %v", err)
	}
}

func TestRunWithoutOverlaySendsModifiedFiles(t *testing.T) {
	r, _, _ := buildOverlayRoot(t)
	srv := uploadtest.NewServer(t, "alice", "pw")
	res, err := Run(context.Background(), runOptions(t, srv, r.Dir))
	if err != nil {
		t.Fatal(err)
	}
	_, order := readTar(t, srv.OverlayBytes(res.ScanID))
	if !slices.Equal(order, []string{"etc/motd", "usr/bin/cat"}) {
		t.Errorf("overlay %q", order)
	}

	srv.AddInstance("withoverlay", true)
	o := runOptions(t, srv, r.Dir)
	o.Name = "withoverlay"
	if _, err := Run(context.Background(), o); err == nil || !strings.Contains(err.Error(), "regular scan into the scanned instance [withoverlay]") {
		t.Fatalf("err = %v", err)
	}
	o.Name, o.Overlay = "web01", true
	if _, err := Run(context.Background(), o); err == nil || err.Error() != "Performing scan with overlay into the scanned instance [web01] is not allowed" {
		t.Fatalf("err = %v", err)
	}
}

func TestRunCancelledOnServer(t *testing.T) {
	r, _, _ := buildOverlayRoot(t)
	r.Write("/srv/big", strings.Repeat("big file ", 100000)) // several chunks
	srv := uploadtest.NewServer(t, "alice", "pw")
	srv.Fault = postFault(uploadtest.CancelScan, 2)
	o := runOptions(t, srv, r.Dir)
	o.Overlay = true
	_, err := Run(context.Background(), o)
	if !errors.Is(err, ErrScanTerminal) || !strings.Contains(err.Error(), "scan cancelled on the server") {
		t.Fatalf("err = %v", err)
	}
}

func TestRunRefusesUnsupportedSystem(t *testing.T) {
	r := uploadtest.NewRoot(t)
	r.Write("/etc/os-release", "ID=fedora\nVERSION_ID=40\n")
	r.Write("/var/lib/dpkg/status", "")
	srv := uploadtest.NewServer(t, "alice", "pw")
	_, err := Run(context.Background(), runOptions(t, srv, r.Dir))
	if !errors.Is(err, scan.ErrUnsupported) {
		t.Fatalf("err = %v", err)
	}
	if len(srv.Calls()) != 0 {
		t.Errorf("the server was called: %q", srv.Calls())
	}
}

func TestRunBadCredentials(t *testing.T) {
	r, _, _ := buildOverlayRoot(t)
	srv := uploadtest.NewServer(t, "alice", "pw")
	o := runOptions(t, srv, r.Dir)
	o.Client.Password = "wrong"
	_, err := Run(context.Background(), o)
	ae, ok := client.AsAPIError(err)
	if !ok || ae.Status != http.StatusUnauthorized {
		t.Fatalf("err = %v", err)
	}
}

func TestPreflight(t *testing.T) {
	r, _, _ := buildOverlayRoot(t)
	srv := uploadtest.NewServer(t, "alice", "pw")
	o := runOptions(t, srv, r.Dir)
	checks, err := Preflight(context.Background(), o)
	if err != nil {
		t.Fatalf("Preflight: %v\n%s", err, checks)
	}
	out := checks.String()
	for _, want := range []string{"[OK  ] server: " + srv.URL + " answers (version fake-1.0)", "[OK  ] credentials: user alice is accepted", "[OK  ] distribution"} {
		if !strings.Contains(out, want) {
			t.Errorf("checks lack %q:\n%s", want, out)
		}
	}

	o.Client.Password = "wrong"
	checks, err = Preflight(context.Background(), o)
	if err == nil || !strings.Contains(checks.String(), "[FAIL] credentials") {
		t.Errorf("bad password: err %v\n%s", err, checks)
	}

	o.Client.BaseURL, o.Client.Retries = "http://127.0.0.1:1/api", -1
	o.Root = t.TempDir() + "/missing"
	checks, err = Preflight(context.Background(), o)
	out = checks.String()
	if err == nil || !strings.Contains(out, "[FAIL] scan root") || !strings.Contains(out, "[FAIL] server") || !strings.Contains(out, "not checked") {
		t.Errorf("unreachable: err %v\n%s", err, out)
	}
	if strings.Contains(err.Error(), "preflight: preflight") {
		t.Errorf("error %q", err)
	}
}

// TestSendOverlayMemoryBounded streams a 200 MiB file through the whole
// pipeline (archive into the chunks, upload, in-process server): the heap
// stays flat.
func TestSendOverlayMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	r, _, _ := buildOverlayRoot(t)
	f, err := os.Create(r.Host("/srv/huge.img"))
	if err != nil {
		t.Fatal(err)
	}
	f.Truncate(200 << 20) // sparse: the disk is spared, not the pipeline
	f.Close()
	srv, up, sc := newUpload(t)
	srv.Discard = true
	up.ChunkSize = DefaultChunkSize
	stop := heapSampler()
	start := time.Now()
	st, size, _, err := SendOverlay(context.Background(), r.Dir, OverlayOptions{All: true}, up)
	el := time.Since(start)
	peak := stop()
	if err != nil {
		t.Fatal(err)
	}
	if st.Bytes < 200<<20 || size < st.Bytes {
		t.Errorf("stats %+v, size %d", st, size)
	}
	if state, received, _, _, _ := sc.State(); state != "complete" || received != size {
		t.Errorf("server %s, %d bytes", state, received)
	}
	t.Logf("pipeline: %d MiB in %v (%.0f MiB/s); peak HeapInuse %.1f MiB", size>>20, el.Round(time.Millisecond),
		float64(size>>20)/el.Seconds(), float64(peak)/(1<<20))
	if peak > DefaultChunkBuffers*DefaultChunkSize+16<<20 {
		t.Errorf("peak HeapInuse %.1f MiB", float64(peak)/(1<<20))
	}
}

// A failing archive must stop the upload without completing it.
func TestSendOverlayArchiveErrorStopsUpload(t *testing.T) {
	_, up, sc := newUpload(t)
	_, _, _, err := SendOverlay(context.Background(), t.TempDir(), OverlayOptions{}, up) // no dpkg database
	if err == nil {
		t.Fatal("no error")
	}
	if state, _, _, _, _ := sc.State(); state != "open" {
		t.Errorf("server state %s", state)
	}
}

// The overlay is archived from the start, alongside the inventory: a run that
// fails before its scan exists stops the archiver, sends no overlay and
// leaves no file open.
func TestRunRefusedStopsTheArchive(t *testing.T) {
	r, _, _ := buildOverlayRoot(t)
	srv := uploadtest.NewServer(t, "alice", "pw")
	srv.AddInstance("web01", false) // scanned without overlay: -o is refused
	o := runOptions(t, srv, r.Dir)
	o.Overlay = true
	before := openFDs(t)
	_, err := Run(context.Background(), o)
	if err == nil || !strings.Contains(err.Error(), "is not allowed") {
		t.Fatalf("err = %v", err)
	}
	for _, c := range srv.Calls() {
		if strings.Contains(c, "/overlay") {
			t.Errorf("overlay request: %s", c)
		}
	}
	if len(srv.Scans()) != 0 {
		t.Error("a scan was created")
	}
	if after := openFDs(t); after > before {
		t.Errorf("%d descriptors open after the run, %d before", after, before)
	}
}
