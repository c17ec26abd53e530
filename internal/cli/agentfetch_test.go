package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kilnhq/kiln/internal/client"
)

// The agent downloaded without credentials is kept only if its SHA-256 is
// the one the server vouches for to the signed-in user.
func TestFetchAgentVerifies(t *testing.T) {
	agent := []byte("#!/bin/sh\necho the real agent\n")
	sum := sha256.Sum256(agent)
	served, vouched := agent, hex.EncodeToString(sum[:])+"  uforge-scan.bin\n"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/resources/uforge-scan.bin":
			_, _ = w.Write(served)
		case "/api/resources/uforge-scan.bin.sha256":
			if u, p, ok := r.BasicAuth(); !ok || u != "alice" || p != "pw" {
				http.Error(w, "who are you", http.StatusUnauthorized)
				return
			}
			if vouched == "" {
				http.NotFound(w, r)
				return
			}
			_, _ = io.WriteString(w, vouched)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	e := &Env{Client: &client.Client{BaseURL: srv.URL + "/api", User: "alice", Password: "pw", Retries: -1}, User: "alice"}
	ctx := context.Background()

	file, err := e.fetchAgent(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(file); err != nil || string(got) != string(agent) {
		t.Fatalf("agent %q %v", got, err)
	}
	os.Remove(file)

	served = []byte("#!/bin/sh\necho an altered agent\n")
	if _, err := e.fetchAgent(ctx); err == nil || !strings.Contains(err.Error(), "altered") {
		t.Errorf("altered agent: %v", err)
	}
	if left, _ := filepath.Glob(filepath.Join(tmp, "kiln-agent-*")); len(left) > 0 {
		t.Errorf("the altered agent was kept: %v", left)
	}

	vouched = ""
	if _, err := e.fetchAgent(ctx); err == nil || !strings.Contains(err.Error(), "vouches for no scan agent") {
		t.Errorf("no checksum: %v", err)
	}
	vouched = "not a checksum\n"
	if _, err := e.fetchAgent(ctx); err == nil || !strings.Contains(err.Error(), "not a SHA-256") {
		t.Errorf("bad checksum: %v", err)
	}
	e.Client.Password = "wrong"
	if _, err := e.fetchAgent(ctx); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("bad credentials: %v", err)
	}
}
