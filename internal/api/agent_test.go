package api_test

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"testing"
)

// The agent is downloaded without credentials; its SHA-256, which scripts and
// kiln scan run --ip check the download against, needs them, and is that of
// the file served.
func TestAgentChecksum(t *testing.T) {
	e := newEnv(t)
	resp, err := http.Get(e.srv.URL + "/resources/kiln-scan")
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	_, err = io.Copy(h, resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("download the agent: %v %s", err, resp.Status)
	}
	served := hex.EncodeToString(h.Sum(nil))
	exe, err := os.Executable() // the agent of a node without Config.Agent
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != served {
		t.Fatalf("served agent is not %s", exe)
	}

	for _, name := range []string{"kiln-scan", "uforge-scan.bin"} {
		e.anonymous().do("GET", "/resources/"+name+".sha256", "").uforgeError(401, "authentication required")
		e.as("admin", "wrong").do("GET", "/resources/"+name+".sha256", "").expect(401)
		r := e.admin().do("GET", "/resources/"+name+".sha256", "").expect(200)
		if want := served + "  " + name + "\n"; r.body != want {
			t.Errorf("%s.sha256: %q, want %q (a sha256sum line)", name, r.body, want)
		}
		// Twice: the second answer comes from the cache and must not differ.
		e.admin().do("GET", "/resources/"+name+".sha256", "").expect(200).has(served)
	}
}
