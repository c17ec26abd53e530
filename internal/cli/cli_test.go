package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kilnhq/kiln/internal/client"
	"github.com/kilnhq/kiln/internal/uforge"
)

// fakeAPI serves the few endpoints these tests need.
type fakeAPI struct {
	mu        sync.Mutex
	statuses  []uforge.OpStatus // returned in turn by GET …/status; the last one repeats
	cancelled bool
	body      string // the download
	checksum  string // X-Checksum-Sha256 sent with it
}

func (f *fakeAPI) handler(t *testing.T) http.Handler {
	mux := http.NewServeMux()
	write := func(w http.ResponseWriter, v uforge.Root) {
		w.Header().Set("Content-Type", "application/json")
		if err := uforge.EncodeJSON(w, v); err != nil {
			t.Error(err)
		}
	}
	mux.HandleFunc("GET /api/users/u/images", func(w http.ResponseWriter, r *http.Request) {
		img := uforge.Image{Name: uforge.Str("web"), URI: uforge.Str("users/u/appliances/1/images/1"),
			Compress: uforge.Bool(true), DownloadURI: uforge.Str("users/u/appliances/1/images/1/downloads?downloadId=k")}
		img.DBID = uforge.Int64(1)
		img.Status = &uforge.OpStatus{Complete: uforge.Bool(true), Error: uforge.Bool(false), Cancelled: uforge.Bool(false)}
		write(w, &uforge.Images{Images: []uforge.Image{img}})
	})
	mux.HandleFunc("GET /api/users/u/appliances/1/images/1/downloads", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			t.Error("the download sent credentials")
		}
		if r.URL.Query().Get("downloadId") != "k" {
			http.Error(w, "bad key", http.StatusForbidden)
			return
		}
		w.Header().Set("X-Checksum-Sha256", f.checksum)
		w.Header().Set("Content-Disposition", `attachment; filename="web-1.0-r1.qcow2"`)
		w.Write([]byte(f.body))
	})
	mux.HandleFunc("GET /api/users/u/appliances/1/images/1/status", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		st := f.statuses[0]
		if f.cancelled {
			st = uforge.OpStatus{Cancelled: uforge.Bool(true), Message: uforge.Str("cancelled")}
		} else if len(f.statuses) > 1 {
			f.statuses = f.statuses[1:]
		}
		write(w, &st)
	})
	mux.HandleFunc("DELETE /api/users/u/appliances/1/images/1/status", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.cancelled = true
		f.mu.Unlock()
		write(w, &uforge.OpStatus{Cancelled: uforge.Bool(true), Message: uforge.Str("cancelled")})
	})
	return mux
}

func testEnv(t *testing.T, f *fakeAPI, stdin string) (*Env, *bytes.Buffer, *bytes.Buffer) {
	srv := httptest.NewServer(f.handler(t))
	t.Cleanup(srv.Close)
	var out, errw bytes.Buffer
	e := NewEnv(&client.Client{BaseURL: srv.URL + "/api", User: "u", Password: "p", Retries: -1}, "u", strings.NewReader(stdin), &out, &errw, false)
	e.PollInterval = 10 * time.Millisecond
	return e, &out, &errw
}

func sum(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func TestDownloadChecksum(t *testing.T) {
	f := &fakeAPI{body: strings.Repeat("qcow", 1000)}
	f.checksum = sum(f.body)
	e, out, _ := testEnv(t, f, "")
	dir := t.TempDir()
	if err := ImageDownload(context.Background(), e, 1, dir); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "web-1.0-r1.qcow2"))
	if err != nil || string(data) != f.body || !strings.Contains(out.String(), "checksum verified") {
		t.Fatalf("%v %q", err, out.String())
	}

	f.checksum = sum("something else")
	target := filepath.Join(dir, "bad.qcow2")
	err = ImageDownload(context.Background(), e, 1, target)
	if err == nil || !strings.Contains(err.Error(), "corrupt") {
		t.Fatalf("err = %v", err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 1 {
		t.Errorf("files left after a bad download: %v", left)
	}
	if err := ImageDownload(context.Background(), e, 7, target); err == nil || !strings.Contains(err.Error(), "no image with id 7") {
		t.Errorf("unknown image: %v", err)
	}
}

func running(pct int, msg string) uforge.OpStatus {
	return uforge.OpStatus{Percentage: uforge.Int(pct), Message: uforge.Str(msg), Complete: uforge.Bool(false)}
}

func TestFollowAsksBeforeCancelling(t *testing.T) {
	f := &fakeAPI{statuses: []uforge.OpStatus{running(10, "rootfs"), running(40, "configure")}}
	// The user answers no, then presses Ctrl-C twice (the second one while asked).
	e, _, errw := testEnv(t, f, "n\n")
	e.Interactive = true
	sigs := make(chan os.Signal, 3)
	e.Interrupts = sigs
	first := running(0, "queued")
	sigs <- os.Interrupt
	done := make(chan *Outcome)
	go func() {
		o, err := e.Follow(context.Background(), "QCOW2", "users/u/appliances/1/images/1", &first)
		if err != nil {
			t.Error(err)
		}
		done <- o
	}()
	time.Sleep(100 * time.Millisecond)
	f.mu.Lock()
	if f.cancelled {
		t.Error("cancelled although the answer was no")
	}
	f.mu.Unlock()
	sigs <- os.Interrupt
	sigs <- os.Interrupt
	select {
	case o := <-done:
		if !o.CancelledByUser || !uforge.BoolValue(o.Status.Cancelled) {
			t.Errorf("outcome %+v", o)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Follow did not end")
	}
	if n := strings.Count(errw.String(), "Cancel the generation? [y/N]"); n != 2 {
		t.Errorf("asked %d times:\n%s", n, errw.String())
	}
	if !strings.Contains(errw.String(), "QCOW2:  40% configure") {
		t.Errorf("no progress:\n%s", errw.String())
	}

	// SIGTERM cancels without asking.
	f2 := &fakeAPI{statuses: []uforge.OpStatus{running(10, "rootfs")}}
	e2, _, errw2 := testEnv(t, f2, "")
	e2.Interactive = true
	sigs2 := make(chan os.Signal, 1)
	e2.Interrupts = sigs2
	sigs2 <- syscall.SIGTERM
	o, err := e2.Follow(context.Background(), "QCOW2", "users/u/appliances/1/images/1", &first)
	if err != nil || !o.CancelledByUser || strings.Contains(errw2.String(), "[y/N]") {
		t.Errorf("SIGTERM: %+v %v\n%s", o, err, errw2.String())
	}
}

func TestBarOnATerminal(t *testing.T) {
	var buf bytes.Buffer
	now := time.Unix(0, 0)
	b := NewBar(&buf, true, "QCOW2", func() time.Time { return now })
	b.width = 100
	now = now.Add(10 * time.Second)
	b.Percent(25, "bootstrapping debian")
	if got := buf.String(); !strings.HasPrefix(got, "\rQCOW2 [=======>") || !strings.Contains(got, " 25% ETA 30s  bootstrapping debian") {
		t.Errorf("bar %q", got)
	}
	buf.Reset()
	b.Percent(25, "bootstrapping debian")
	if buf.Len() != 0 {
		t.Errorf("redrawn without change: %q", buf.String())
	}
	b.Done()
	if buf.String() != "\n" {
		t.Errorf("done %q", buf.String())
	}
	buf.Reset()
	d := NewBar(&buf, true, "Downloading", func() time.Time { return now })
	d.width = 200
	now = now.Add(2 * time.Second)
	d.Bytes(50<<20, 200<<20)
	if got := buf.String(); !strings.Contains(got, "50.0 MB / 200.0 MB  25.0 MB/s  ETA 6s") {
		t.Errorf("bytes bar %q", got)
	}
}

func TestResolve(t *testing.T) {
	home := t.TempDir()
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	os.MkdirAll(filepath.Join(home, ".hammr"), 0o755)
	os.WriteFile(filepath.Join(home, ".hammr", "credentials.json"), []byte(`{"user":"file-user","publickey":"PUB","secretkey":"SEC","url":"https://h/api"}`), 0o600)
	s, _, err := Resolve(Flags{}, getenv, home)
	if err != nil || s.User != "file-user" || s.PublicKey != "PUB" || !s.Insecure || s.Sources["auth"] != filepath.Join(home, ".hammr", "credentials.json") {
		t.Fatalf("%+v %v", s, err)
	}
	env["KILN_PASSWORD"] = "env-pw"
	s, _, err = Resolve(Flags{}, getenv, home)
	if err != nil || s.Password != "env-pw" || s.PublicKey != "" || s.Sources["auth"] != "environment" {
		t.Fatalf("env password over file keys: %+v %v", s, err)
	}
	s, _, err = Resolve(Flags{PublicKey: "K", SecretKey: "S", User: "flag-user"}, getenv, home)
	if err != nil || s.Password != "" || s.PublicKey != "K" || s.User != "flag-user" || s.URL != "https://h/api" {
		t.Fatalf("flag keys: %+v %v", s, err)
	}
	if _, _, err := Resolve(Flags{PublicKey: "K"}, getenv, home); err == nil || !strings.Contains(err.Error(), "go together") {
		t.Errorf("half a key pair: %v", err)
	}
	if _, _, err := Resolve(Flags{URL: "host:8080"}, getenv, home); err == nil || !strings.Contains(err.Error(), "not the API's base URL") {
		t.Errorf("bad url: %v", err)
	}
}
