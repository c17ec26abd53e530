package api_test

import (
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/kilnhq/kiln/internal/app"
)

// tightServer serves e's API with read and write timeouts of 300 ms, as
// kiln serve would with --read-timeout and --write-timeout that short.
func tightServer(t *testing.T, e *env) *httptest.Server {
	t.Helper()
	ts := httptest.NewUnstartedServer(e.srv.Config.Handler)
	ts.Config.ReadTimeout = 300 * time.Millisecond
	ts.Config.WriteTimeout = 300 * time.Millisecond
	ts.Start()
	t.Cleanup(ts.Close)
	return ts
}

// trickle sends body in pieces, one every gap, then closes the stream.
func trickle(body []byte, pieces int, gap time.Duration) io.ReadCloser {
	pr, pw := io.Pipe()
	go func() {
		n := (len(body) + pieces - 1) / pieces
		for i := 0; i < len(body); i += n {
			if _, err := pw.Write(body[i:min(i+n, len(body))]); err != nil {
				return
			}
			time.Sleep(gap)
		}
		pw.Close()
	}()
	return pr
}

func post(t *testing.T, url, user, pass, ctype string, body io.ReadCloser) (*http.Response, error) {
	t.Helper()
	req, err := http.NewRequest("POST", url, body)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(user, pass)
	req.Header.Set("Content-Type", ctype)
	return http.DefaultClient.Do(req)
}

// TestTimeoutsSpareTransfers: the server's read timeout cuts off a request
// body that takes too long, except on the upload routes, which may take as
// long as they need while bytes keep moving, and are cut off once they stall.
func TestTimeoutsSpareTransfers(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *app.Config) { c.StallTimeout = time.Second })
	alice := migrationUser(t, e, "alice")
	scanPath := newScan(t, alice, "web-01")
	ts := tightServer(t, e)

	// An ordinary request whose body takes 1.2 s: refused by the read timeout.
	slow := `<ns0:appliance ` + ns + `><name>web</name><version>1.0</version></ns0:appliance>`
	resp, err := post(t, ts.URL+"/api/users/alice/appliances", "alice", "alice-pw", "application/xml",
		trickle([]byte(slow), 6, 200*time.Millisecond))
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode < 400 {
			t.Fatalf("a request body sent over 1.2 s was accepted (%d) despite a 300 ms read timeout", resp.StatusCode)
		}
	}

	// An overlay sent over 1.2 s, bytes moving all along: accepted.
	ov := goodOverlay(t)
	resp, err = post(t, ts.URL+"/api"+scanPath+"/overlay?offset=0&complete=true", "alice", "alice-pw",
		"application/octet-stream", trickle(ov, 6, 200*time.Millisecond))
	if err != nil {
		t.Fatalf("a slow but moving upload was cut off: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("slow upload: status %d", resp.StatusCode)
	}

	// A download read slowly, over more than the write timeout: complete.
	req, _ := http.NewRequest("GET", ts.URL+"/api"+scanPath+"/overlay", nil)
	req.SetBasicAuth("alice", "alice-pw")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || string(got) != string(ov) {
		t.Fatalf("a download read after the write timeout: %d bytes, %v", len(got), err)
	}

	// An upload that stops moving is cut off after the stall timeout: the
	// server closes the connection (a raw one: Go's client would wait for
	// its own stalled body writer).
	second := newScan(t, alice, "web-02")
	conn, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api%s/overlay?offset=0&complete=true HTTP/1.1\r\nHost: kiln\r\nAuthorization: Basic %s\r\n"+
		"Content-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n",
		second, base64.StdEncoding.EncodeToString([]byte("alice:alice-pw")), len(ov))
	if _, err := conn.Write(ov[:len(ov)/3]); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err = io.ReadAll(conn)
	if d := time.Since(start); err != nil || d > 5*time.Second {
		t.Fatalf("a stalled upload held its connection for %v (%v) with a 1 s stall timeout", d, err)
	}
	alice.do("GET", second, "").expect(200).has("<complete>false</complete>")
	if !strings.Contains(alice.do("GET", scanPath, "").body, "<complete>true</complete>") {
		t.Fatal("the slow upload's scan is not complete")
	}
}
