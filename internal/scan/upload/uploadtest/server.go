// Package uploadtest is test support for the scan agent: an in-memory API server
// that implements the scan endpoints and the chunked overlay protocol the way
// Kiln's server does (with fault injection), and a synthetic Debian tree to scan.
// Only tests import it.
package uploadtest

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/kilnhq/kiln/internal/auth"
	"github.com/kilnhq/kiln/internal/uforge"
)

// Server is a fake Kiln API for one user. Configure the fields before the
// first request.
type Server struct {
	URL                  string // the API base, ".../api"
	User, Password       string
	PublicKey, SecretKey string // accepted as an alternative to the password
	// Discard keeps only the overlay's size and hashes, not its bytes (no tar
	// check then): for measuring the client alone.
	Discard bool
	// Fault, when set, is asked before each overlay request (POST and HEAD)
	// what to do with it; n counts those requests from 1.
	Fault func(n int, r *http.Request) Fault
	// TerminalID is the messageId of the 409 for a scan that takes no more
	// data; default "scan.terminal".
	TerminalID string

	t        testing.TB
	dir      string
	verifier *auth.Verifier // as Kiln's server checks signatures

	mu        sync.Mutex
	nextID    int64
	instances []*instance
	scans     map[int64]*Scan
	overlayN  int
	calls     []string
}

type instance struct {
	id      int64
	name    string
	overlay bool
	dist    *uforge.Distribution
}

// NewServer starts a fake API for user/password; it stops with the test.
func NewServer(t testing.TB, user, password string) *Server {
	s := &Server{User: user, Password: password, t: t, dir: t.TempDir(), nextID: 100, scans: map[int64]*Scan{},
		verifier: &auth.Verifier{BasePath: "/api", Replay: auth.NewReplayGuard(1 << 12)}}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/", s.serve)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	s.URL = srv.URL + "/api"
	return s
}

// AddInstance creates a scanned instance as an earlier agent would have.
func (s *Server) AddInstance(name string, overlay bool) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	s.instances = append(s.instances, &instance{id: s.nextID, name: name, overlay: overlay})
	return s.nextID
}

// Calls are the requests served so far, "METHOD path" (without /api).
func (s *Server) Calls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.calls...)
}

// Scans returns the scans created so far.
func (s *Server) Scans() []*Scan {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*Scan
	for _, sc := range s.scans {
		out = append(out, sc)
	}
	return out
}

// Instance returns the scanned instance called name: its id, overlayIncluded
// and distribution.
func (s *Server) Instance(name string) (int64, bool, *uforge.Distribution) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, in := range s.instances {
		if in.name == name {
			return in.id, in.overlay, in.dist
		}
	}
	return 0, false, nil
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	rel := strings.TrimPrefix(r.URL.Path, "/api/")
	s.mu.Lock()
	s.calls = append(s.calls, r.Method+" "+rel)
	s.mu.Unlock()
	parts := strings.Split(rel, "/")
	if rel == "status" && r.Method == http.MethodGet {
		s.answer(w, r, http.StatusOK, &uforge.ServiceStatus{Alive: uforge.Bool(true), Version: uforge.Str("fake-1.0")})
		return
	}
	if msg := s.authenticate(r); msg != "" {
		s.fail(w, r, http.StatusUnauthorized, "kiln.unauthorized", msg)
		return
	}
	if len(parts) < 2 || parts[0] != "users" {
		s.fail(w, r, http.StatusNotFound, "kiln.notFound", "no such resource")
		return
	}
	if parts[1] != s.User {
		s.fail(w, r, http.StatusForbidden, "kiln.forbidden.user", "you may not act on the resources of user "+parts[1])
		return
	}
	route := r.Method + " " + strings.Join(maskIDs(parts[2:]), "/")
	switch route {
	case "GET ":
		s.answer(w, r, http.StatusOK, &uforge.User{UserProfile: uforge.UserProfile{LoginName: uforge.Str(s.User)}})
	case "GET scannedinstances":
		s.listInstances(w, r)
	case "POST scannedinstances":
		s.createInstance(w, r)
	case "POST scannedinstances/#/scans":
		s.createScan(w, r, id(parts[3]))
	case "GET scannedinstances/#/scans/#":
		s.getScan(w, r, id(parts[3]), id(parts[5]))
	case "POST scannedinstances/#/scans/#/overlay", "HEAD scannedinstances/#/scans/#/overlay":
		s.overlay(w, r, id(parts[3]), id(parts[5]))
	default:
		s.fail(w, r, http.StatusNotFound, "kiln.notFound", "no such resource: "+route)
	}
}

// maskIDs replaces numeric segments by "#" for routing.
func maskIDs(parts []string) []string {
	out := make([]string, len(parts))
	for i, p := range parts {
		if _, err := strconv.ParseInt(p, 10, 64); err == nil {
			p = "#"
		}
		out[i] = p
	}
	return out
}

func id(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

// authenticate checks Basic or an API key signature as Kiln's server does; it
// returns why a request is refused, or "".
func (s *Server) authenticate(r *http.Request) string {
	signed, err := auth.ParseSigned(r.URL.RawQuery)
	if err != nil {
		return err.Error()
	}
	if signed != nil {
		if signed.PublicKey != s.PublicKey || s.SecretKey == "" {
			return "unknown API key or bad signature"
		}
		if err := s.verifier.Verify(r, signed, s.SecretKey); err != nil {
			return err.Error()
		}
		return ""
	}
	login, pw, ok := r.BasicAuth()
	if !ok || login != s.User || pw != s.Password {
		return "bad credentials"
	}
	return ""
}

func (s *Server) answer(w http.ResponseWriter, r *http.Request, status int, v uforge.Root) {
	var buf bytes.Buffer
	if err := uforge.EncodeJSON(&buf, v); err != nil {
		s.t.Errorf("fake server: encode %s: %v", v.RootName(), err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(buf.Bytes())
	}
}

// fail answers with a uforgeError, as Kiln does for every 4xx and 5xx.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, status int, id, msg string) {
	s.answer(w, r, status, &uforge.UForgeError{
		LocalizedErrorMsg: &uforge.LocalizedMessage{Message: uforge.Str(msg), MessageID: uforge.Str(id)},
		RequestMethod:     uforge.Str(r.Method), RequestURI: uforge.Str(strings.TrimPrefix(r.URL.Path, "/api/")),
		StatusCode: uforge.Int(status),
	})
}

func (s *Server) overlayFile(sid int64) string {
	return filepath.Join(s.dir, strconv.FormatInt(sid, 10)+".tar")
}

// OverlayBytes returns the overlay stored for scan sid.
func (s *Server) OverlayBytes(sid int64) []byte {
	data, err := os.ReadFile(s.overlayFile(sid))
	if err != nil {
		s.t.Fatalf("fake server: %v", err)
	}
	return data
}
