package main

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kilnhq/kiln/internal/app"
)

// seedPollableImage prepares dir for `kiln serve --data dir`: admin, alice
// (password alice-pw) and a complete image of hers, made through the API of an
// in-process node with the stand-in engine. It returns the image's status path.
func seedPollableImage(t *testing.T, dir string) string {
	t.Helper()
	ctx := context.Background()
	cfg := app.Config{DataDir: dir, AdminPassword: testAdminPassword, RunWorkers: true, Workers: 1,
		JobTimeout: time.Minute, Generator: &fastGen{}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	node, err := app.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := node.Start(ctx); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(node.Handler)
	defer func() {
		srv.Close()
		if err := node.Close(ctx); err != nil {
			t.Errorf("close the seeding node: %v", err)
		}
	}()
	send := func(login, password, method, path, body string) string {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+"/api"+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.SetBasicAuth(login, password)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode >= 300 {
			t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
		}
		return string(b)
	}
	send("admin", testAdminPassword, "POST", "/users", `{"user":{"loginName":"alice","password":"alice-pw"}}`)
	send("alice", "alice-pw", "POST", "/users/alice/appliances", `{"appliance":{"name":"web","version":"1.0",
		"distributionUri":"distributions/2","osProfile":{"standardProfileUri":"distributions/2/profiles/3"}}}`)
	send("alice", "alice-pw", "POST", "/users/alice/appliances/1/images", `{"image":{"targetFormat":{"name":"QCOW2"}}}`)
	const status = "/users/alice/appliances/1/images/1/status"
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if strings.Contains(send("alice", "alice-pw", "GET", status, ""), `"complete":true`) {
			return status
		}
		if time.Now().After(deadline) {
			t.Fatal("the seeded image did not complete")
		}
	}
}

// server is `kiln serve` running in a child process (this test binary's main).
type server struct {
	url     string
	cmd     *exec.Cmd
	done    chan struct{} // closed when the child has exited
	mu      sync.Mutex
	wasKill bool
	log     strings.Builder // the child's stderr, for failures
}

var servingLine = regexp.MustCompile(`serving the API at (\S+)`)

// startServer starts `kiln ARGS` and waits for its API to answer; a watcher
// kills the child if its RSS passes floodKillMiB.
func startServer(t *testing.T, args string) *server {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestScanExitCode$")
	for _, kv := range os.Environ() { // no KILN_* setting of the developer's
		if !strings.HasPrefix(kv, "KILN_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "KILN_TEST_MAIN=1", "KILN_TEST_ARGS="+args)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, done: make(chan struct{})}
	t.Cleanup(s.stop)
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			s.mu.Lock()
			if s.log.Len() < 64<<10 {
				s.log.WriteString(sc.Text() + "\n")
			}
			s.mu.Unlock()
			if m := servingLine.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
		_ = cmd.Wait()
		close(s.done)
	}()
	go s.watch()
	select {
	case s.url = <-found:
	case <-s.done:
		t.Fatalf("kiln %s exited:\n%s", args, s.stderr())
	case <-time.After(30 * time.Second):
		t.Fatalf("kiln %s did not start:\n%s", args, s.stderr())
	}
	return s
}

// watch kills the child when its resident set passes floodKillMiB.
func (s *server) watch() {
	for {
		select {
		case <-s.done:
			return
		case <-time.After(2 * time.Millisecond):
		}
		if kib, ok := vmHWM(s.cmd.Process.Pid); ok && kib > floodKillMiB<<10 {
			s.mu.Lock()
			s.wasKill = true
			s.mu.Unlock()
			_ = s.cmd.Process.Kill()
			return
		}
	}
}

func (s *server) killed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.wasKill
}

// hwmMiB is the child's peak RSS so far (the kill threshold once killed).
func (s *server) hwmMiB() float64 {
	if kib, ok := vmHWM(s.cmd.Process.Pid); ok {
		return float64(kib) / 1024
	}
	if s.killed() {
		return floodKillMiB
	}
	return 0
}

func (s *server) stderr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.String()
}

// stop interrupts the child and waits for it (killing it after 10 s).
func (s *server) stop() {
	select {
	case <-s.done:
		return
	default:
	}
	_ = s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}
