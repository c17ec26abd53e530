package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/kilnhq/kiln/internal/client"
)

// agentURL is where the server hands out the agent, next to the API:
// <base without its last segment>/resources/uforge-scan.bin.
func agentURL(base string) string {
	base = strings.TrimSuffix(base, "/")
	if i := strings.LastIndexByte(base, '/'); i > len("https://") {
		base = base[:i]
	}
	return base + "/resources/uforge-scan.bin"
}

// agentChecksumPath is the authenticated resource, relative to the API base,
// that gives the agent's SHA-256 (a sha256sum line).
const agentChecksumPath = "resources/uforge-scan.bin.sha256"

// agentChecksum asks the server, with the user's credentials, for the SHA-256
// of the agent it hands out without them.
func (e *Env) agentChecksum(ctx context.Context) (string, error) {
	resp, err := e.Client.Send(ctx, http.MethodGet, agentChecksumPath, nil, "", nil)
	if err != nil {
		return "", fmt.Errorf("the scan agent's checksum: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("the server vouches for no scan agent (GET %s: %w), and an unverified agent is not run as root on another host",
			agentChecksumPath, client.ErrorFrom(resp))
	}
	defer resp.Body.Close()
	line, err := io.ReadAll(io.LimitReader(resp.Body, 1024))
	if err != nil {
		return "", fmt.Errorf("the scan agent's checksum: %w", err)
	}
	fields := strings.Fields(string(line))
	if len(fields) == 0 || len(fields[0]) != sha256.Size*2 {
		return "", fmt.Errorf("the scan agent's checksum: %q is not a SHA-256 line", line)
	}
	if _, err := hex.DecodeString(fields[0]); err != nil {
		return "", fmt.Errorf("the scan agent's checksum %q: %w", fields[0], err)
	}
	return strings.ToLower(fields[0]), nil
}

// fetchAgent downloads the agent (no credentials, as hammr does) into a
// temporary file and checks it against agentChecksum: the agent runs as root
// on the scanned host, so a copy altered on the way is removed, never sent.
func (e *Env) fetchAgent(ctx context.Context) (string, error) {
	want, err := e.agentChecksum(ctx)
	if err != nil {
		return "", err
	}
	u := agentURL(e.Client.BaseURL)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", err
	}
	hc := e.Client.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return "", fmt.Errorf("download the scan agent: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("download the scan agent from %s: %s", u, resp.Status)
	}
	f, err := os.CreateTemp("", "kiln-agent-*")
	if err != nil {
		return "", err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), resp.Body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && resp.ContentLength >= 0 && n != resp.ContentLength {
		err = fmt.Errorf("got %d bytes of %d", n, resp.ContentLength)
	}
	if got := hex.EncodeToString(h.Sum(nil)); err == nil && got != want {
		err = fmt.Errorf("its SHA-256 is %s, but the server vouches for %s: the download was altered, and is not used", got, want)
	}
	if err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("download the scan agent from %s: %w", u, err)
	}
	return f.Name(), nil
}
