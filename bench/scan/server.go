package main

import (
	"archive/tar"
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/kilnhq/kiln/internal/client"
	"github.com/kilnhq/kiln/internal/uforge"
)

// server is a `kiln serve` child on a loopback port with its own data dir.
type server struct {
	cmd  *exec.Cmd
	url  string // API base, http://127.0.0.1:PORT/api
	api  *client.Client
	done chan struct{} // closed when the stderr reader ends (the process exited)

	mu   sync.Mutex
	tail []string // last lines of its stderr, for errors
}

var servingRe = regexp.MustCompile(`serving the API at (http://\S+)`)

// startServer runs `kiln serve` on 127.0.0.1:0 (the port is read from its
// banner: no race for a free port), API only (no generation workers), with a
// mirror that refuses connections so that no package index is downloaded and
// parsed while the benchmark runs. It returns once GET /api/status answers.
func startServer(ctx context.Context, kiln, dataDir, password string) (*server, error) {
	cmd := exec.Command(kiln, "serve", "--listen", "127.0.0.1:0", "--data", dataDir, "--workers", "0",
		"--mirror", "http://127.0.0.1:9/debian", "--log-level", "warn")
	cmd.Env = append(cleanEnv(), "KILN_ADMIN_PASSWORD="+password)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start kiln serve: %w", err)
	}
	s := &server{cmd: cmd, done: make(chan struct{})}
	found := make(chan string, 1)
	go func() {
		defer close(s.done)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			if m := servingRe.FindStringSubmatch(line); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
			s.mu.Lock()
			s.tail = append(s.tail, line)
			if len(s.tail) > 20 {
				s.tail = s.tail[1:]
			}
			s.mu.Unlock()
		}
	}()
	select {
	case s.url = <-found:
	case <-s.done:
		s.stop()
		return nil, fmt.Errorf("kiln serve exited: %s", s.lastLines())
	case <-time.After(30 * time.Second):
		s.stop()
		return nil, fmt.Errorf("kiln serve did not start in 30s: %s", s.lastLines())
	case <-ctx.Done():
		s.stop()
		return nil, ctx.Err()
	}
	s.api = &client.Client{BaseURL: s.url, User: "admin", Password: password, UserAgent: "kiln-bench-scan"}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(s.url + "/status")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("GET %s/status: no answer in 30s (%v): %s", s.url, err, s.lastLines())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *server) lastLines() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.tail, "\n")
}

// stop sends SIGTERM to the server and waits; SIGKILL after 15 s.
func (s *server) stop() {
	if s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	exited := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(exited) }()
	select {
	case <-exited:
	case <-time.After(15 * time.Second):
		_ = s.cmd.Process.Kill()
		<-exited
	}
}

// scanFigures are what the server recorded of a complete scan.
type scanFigures struct {
	files int64 // totalFilesAdded: regular files, symlinks and hard links of the overlay
	bytes int64 // uncompressedBinarySize: the overlay tar as stored
}

// completeScan reads a scan and checks that its overlay was accepted.
func (s *server) completeScan(ctx context.Context, siid, sid int64) (scanFigures, error) {
	sc, err := s.api.GetScan(ctx, "admin", siid, sid)
	if err != nil {
		return scanFigures{}, err
	}
	if !uforge.BoolValue(sc.Validated) || sc.UncompressedBinarySize == nil || sc.TotalFilesAdded == nil {
		msg := uforge.StrValue(sc.ErrorMsg)
		if sc.Status != nil {
			msg += " " + uforge.StrValue(sc.Status.Message)
		}
		return scanFigures{}, fmt.Errorf("scan %d of instance %d is not complete: %s", sid, siid, msg)
	}
	return scanFigures{files: int64(*sc.TotalFilesAdded), bytes: *sc.UncompressedBinarySize}, nil
}

// newScan creates a scanned instance with overlay and a scan from report, as
// the agent would, and returns their ids: the baseline's upload target.
func (s *server) newScan(ctx context.Context, name string, dist *uforge.Distribution, report []byte) (siid, sid int64, err error) {
	si, err := s.api.CreateScannedInstance(ctx, "admin", &uforge.ScannedInstance{
		Name: uforge.Str(name), Distribution: dist, OverlayIncluded: uforge.Bool(true),
	})
	if err != nil {
		return 0, 0, err
	}
	if siid, err = client.ID("scanned instance", si.DBID); err != nil {
		return 0, 0, err
	}
	sc, err := s.api.CreateScan(ctx, "admin", siid, report)
	if err != nil {
		return 0, 0, err
	}
	sid, err = client.ID("scan", sc.DBID)
	return siid, sid, err
}

// deleteInstance drops a measured instance and its overlays, so that the data
// dir does not grow by an overlay per run.
func (s *server) deleteInstance(ctx context.Context, siid int64) error {
	return s.api.Do(ctx, http.MethodDelete, fmt.Sprintf("%s/%d", client.ScannedInstancesPath("admin"), siid), nil, nil, nil)
}

func (s *server) overlayURL(siid, sid int64) string {
	return s.url + "/" + client.ScanPath("admin", siid, sid) + "/overlay"
}

// overlayList downloads a complete scan's overlay and writes the names of its
// members to path, NUL-terminated (tar --null -T): exactly what the agent
// sent, in its order, whatever the overlay's size. It returns the member count.
func (s *server) overlayList(ctx context.Context, siid, sid int64, path string) (int64, error) {
	req, err := s.api.NewRequest(ctx, http.MethodGet, client.ScanPath("admin", siid, sid)+"/overlay", nil, "", nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("download the overlay: %w", client.ErrorFrom(resp))
	}
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	w := bufio.NewWriter(f)
	tr := tar.NewReader(resp.Body)
	var n int64
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			f.Close()
			return 0, fmt.Errorf("read the overlay: %w", err)
		}
		w.WriteString(h.Name)
		w.WriteByte(0)
		n++
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return 0, err
	}
	return n, f.Close()
}

// cleanEnv is this process's environment without KILN_* variables: the
// children take their settings from their flags only.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "KILN_") {
			env = append(env, kv)
		}
	}
	return env
}
