// Package e2e drives the kiln binary end to end: a real server, the real
// generation pipeline, real downloads, and crashes. Runs with KILN_E2E=1.
package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kilnhq/kiln/internal/testenv"
)

const adminPassword = "e2e-admin-password"

// server is one `kiln serve` process.
type server struct {
	t    *testing.T
	cmd  *exec.Cmd
	base string // http://127.0.0.1:PORT/api
	data string
	log  string
}

// kilnBinary builds bin/kiln once per test binary.
func kilnBinary(t *testing.T) string {
	t.Helper()
	testenv.RequireE2E(t, "builds and runs the kiln binary")
	bin := filepath.Join(t.TempDir(), "kiln")
	out, err := exec.Command("go", "build", "-o", bin, "../../cmd/kiln").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func sharedCache() string {
	if c := os.Getenv("KILN_E2E_CACHE"); c != "" {
		return c
	}
	return filepath.Join(os.TempDir(), "kiln-e2e-cache")
}

func freePort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startServer runs kiln serve on data (reused across restarts).
func startServer(t *testing.T, bin, data, addr string) *server {
	t.Helper()
	logPath := filepath.Join(data, fmt.Sprintf("serve-%d.log", time.Now().UnixNano()))
	os.MkdirAll(data, 0o755)
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", "--listen", addr, "--data", data, "--cache-dir", sharedCache(), "--log-level", "info")
	cmd.Env = append(os.Environ(), "KILN_ADMIN_PASSWORD="+adminPassword)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{t: t, cmd: cmd, base: "http://" + addr + "/api", data: data, log: logPath}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if resp, err := http.Get(s.base + "/status"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return s
			}
		}
		if time.Now().After(deadline) {
			s.stop()
			b, _ := os.ReadFile(logPath)
			t.Fatalf("server did not come up:\n%s", b)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// stop ends the server gracefully (SIGTERM) and waits.
func (s *server) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
}

// crash kills the server with SIGKILL, leaving its children to die with it
// the way a crashed host would: the whole process group goes.
func (s *server) crash() {
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	s.cmd.Wait()
}

// call sends a JSON request as admin and decodes the JSON answer into out.
func (s *server) call(method, path, body string, out any) int {
	s.t.Helper()
	req, _ := http.NewRequest(method, s.base+path, strings.NewReader(body))
	req.SetBasicAuth("admin", adminPassword)
	req.Header.Set("Accept", "application/json")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			s.t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
	if resp.StatusCode >= 400 {
		s.t.Logf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	return resp.StatusCode
}

type status struct {
	Complete     bool   `json:"complete"`
	Error        bool   `json:"error"`
	Cancelled    bool   `json:"cancelled"`
	Percentage   int    `json:"percentage"`
	Message      string `json:"message"`
	ErrorMessage string `json:"errorMessage"`
}

func (st status) terminal() bool { return st.Complete || st.Error || st.Cancelled }

type image struct {
	DBID        int64  `json:"dbId"`
	URI         string `json:"uri"`
	Revision    int    `json:"revision"`
	DownloadKey string `json:"downloadKey"`
	DownloadURI string `json:"downloadUri"`
	FileSize    int64  `json:"fileSize"`
	Status      status `json:"status"`
}

func (s *server) generate(aid int64, body string) image {
	s.t.Helper()
	var out struct{ Image image }
	if code := s.call("POST", fmt.Sprintf("/users/admin/appliances/%d/images", aid), body, &out); code != 201 {
		s.t.Fatalf("generate: %d", code)
	}
	return out.Image
}

func (s *server) status(img image) status {
	var out struct{ Status status }
	s.call("GET", "/"+img.URI+"/status", "", &out)
	return out.Status
}

// poll waits like hammr (every 2 s) until the status satisfies done.
func (s *server) poll(img image, timeout time.Duration, done func(status) bool) status {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	last := -1
	for {
		st := s.status(img)
		if st.Percentage != last {
			s.t.Logf("image %d: %d%% %s", img.DBID, st.Percentage, st.Message)
			last = st.Percentage
		}
		if done(st) {
			return st
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(s.log)
			s.t.Fatalf("image %d: status %+v after %v\nserver log tail:\n%s", img.DBID, st, timeout, tail(string(b)))
		}
		time.Sleep(2 * time.Second)
	}
}

func tail(s string) string {
	if len(s) > 4000 {
		return s[len(s)-4000:]
	}
	return s
}
