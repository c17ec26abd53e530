package api

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"strings"
	"sync"
	"time"
)

// agentNames are the names the scan agent is served under, outside /api:
// hammr fetches uforge-scan.bin, Kiln's documentation names kiln-scan.
var agentNames = []string{"uforge-scan.bin", "kiln-scan"}

// agentSum caches the SHA-256 of the agent: it is the kiln binary, tens of
// MB, and scripts ask for its checksum before every download. The cache is
// keyed by size and modification time, so a binary replaced in place (an
// upgrade) gets its own checksum.
type agentSum struct {
	mu   sync.Mutex
	size int64
	mod  time.Time
	hex  string
}

// get returns the SHA-256 (hex) of the file f whose state is st.
func (c *agentSum) get(f io.Reader, st os.FileInfo) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.hex != "" && c.size == st.Size() && c.mod.Equal(st.ModTime()) {
		return c.hex, nil
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	c.size, c.mod, c.hex = st.Size(), st.ModTime(), hex.EncodeToString(h.Sum(nil))
	return c.hex, nil
}

// openAgent opens the agent file, or says the server does not hand it out.
func (s *Server) openAgent() (*os.File, os.FileInfo, error) {
	if s.cfg.AgentPath == "" {
		return nil, nil, notFound("this server does not distribute the scan agent")
	}
	f, err := os.Open(s.cfg.AgentPath)
	if err != nil {
		return nil, nil, fmt.Errorf("scan agent: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("scan agent: %w", err)
	}
	return f, st, nil
}

// serveAgent serves the scan agent (contract §1.1, §8.4): no credentials, a
// Content-Length (hammr requires it), and Range support from ServeContent.
// Anyone may download it; what it is supposed to be comes from agentChecksum,
// which needs credentials.
func (s *Server) serveAgent(w http.ResponseWriter, r *http.Request) {
	f, st, err := s.openAgent()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	defer f.Close()
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="`+path.Base(r.URL.Path)+`"`)
	http.ServeContent(w, r, path.Base(r.URL.Path), st.ModTime(), f)
}

// agentChecksum answers GET /api/resources/{agent}.sha256 (a Kiln extension,
// authenticated): the agent's SHA-256 as a sha256sum line naming the file
// ("HEX  kiln-scan"), so that `sha256sum -c` checks a download made without
// credentials against what the server vouches for to a signed-in user. The
// agent is run as root on the machine to migrate, so a download tampered
// with on the way must not be run.
func (s *Server) agentChecksum(r *request) (*response, error) {
	f, st, err := s.openAgent()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sum, err := s.agentSum.get(f, st)
	if err != nil {
		return nil, fmt.Errorf("scan agent checksum: %w", err)
	}
	name := strings.TrimSuffix(path.Base(r.URL.Path), ".sha256")
	h := r.w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	_, _ = io.WriteString(r.w, sum+"  "+name+"\n")
	return &response{written: true}, nil
}
