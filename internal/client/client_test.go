package client

import (
	"bytes"
	"context"
	"errors"
	"hash/crc32"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kilnhq/kiln/internal/auth"
	"github.com/kilnhq/kiln/internal/uforge"
)

// newServer serves h under /api, the way Kiln's server mounts its routes, and
// returns a client for it.
func newServer(t *testing.T, h http.HandlerFunc) (*Client, *httptest.Server) {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("/api/", h)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &Client{BaseURL: srv.URL + "/api", HTTP: srv.Client(), RetryWait: time.Millisecond, UserAgent: "kiln-test"}, srv
}

func writeJSON(t *testing.T, w http.ResponseWriter, status int, v uforge.Root) {
	t.Helper()
	var buf bytes.Buffer
	if err := uforge.EncodeJSON(&buf, v); err != nil {
		t.Errorf("encode: %v", err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func uforgeError(status int, id, msg string) *uforge.UForgeError {
	return &uforge.UForgeError{
		LocalizedErrorMsg: &uforge.LocalizedMessage{Message: uforge.Str(msg), MessageID: uforge.Str(id)},
		RequestMethod:     uforge.Str("GET"), RequestURI: uforge.Str("users/x"), StatusCode: uforge.Int(status),
	}
}

func TestBasicAuth(t *testing.T) {
	c, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		login, pw, ok := r.BasicAuth()
		if !ok || login != "alice" || pw != "s3cret:with colon" {
			writeJSON(t, w, 401, uforgeError(401, "kiln.unauthorized", "bad credentials"))
			return
		}
		if r.Header.Get("Accept") != "application/json" || r.Header.Get("User-Agent") != "kiln-test" {
			t.Errorf("headers: %v", r.Header)
		}
		if r.URL.Query().Has("apiKey") {
			t.Errorf("Basic request also signed: %s", r.URL)
		}
		writeJSON(t, w, 200, &uforge.User{UserProfile: uforge.UserProfile{LoginName: uforge.Str("alice")}})
	})
	c.User, c.Password = "alice", "s3cret:with colon"
	c.PublicKey, c.SecretKey = "PUB", "SEC" // Basic wins when both are set
	u, err := c.GetUser(context.Background(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	if got := uforge.StrValue(u.LoginName); got != "alice" {
		t.Errorf("login %q", got)
	}

	c.Password = "wrong"
	_, err = c.GetUser(context.Background(), "alice")
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 401 || ae.MessageID != "kiln.unauthorized" || ae.Message != "bad credentials" {
		t.Fatalf("err = %v (%#v)", err, ae)
	}
}

// TestAPIKeySignature checks the signature with the server's own verifier, on
// a path and query that need escaping and on a body: the client signs in
// Kiln's v1 form, which covers method and body, and signs every request anew.
func TestAPIKeySignature(t *testing.T) {
	const pub, secret = "PUBkey+/=", "the secret"
	v := &auth.Verifier{BasePath: "/api", Replay: auth.NewReplayGuard(100)}
	var seen atomic.Int32
	c, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		seen.Add(1)
		s, err := auth.ParseSigned(r.URL.RawQuery)
		if err == nil && (s == nil || s.PublicKey != pub || s.Scheme != auth.SchemeV1) {
			err = errors.New("not signed with the key in the v1 form")
		}
		if err == nil {
			err = v.Verify(r, s, secret)
		}
		if err == nil {
			_, err = io.ReadAll(r.Body) // the body is checked as it is read
		}
		if err != nil {
			writeJSON(t, w, 401, uforgeError(401, "kiln.unauthorized", err.Error()))
			return
		}
		if _, _, ok := r.BasicAuth(); ok {
			t.Error("signed request also carries Basic auth")
		}
		writeJSON(t, w, 200, &uforge.ScannedInstances{ScannedInstances: []uforge.ScannedInstance{
			{Object: uforge.Object{DBID: uforge.Int64(3)}, Name: uforge.Str("web 01/é")},
		}})
	})
	c.User, c.PublicKey, c.SecretKey = "bob smith", pub, secret
	for range 2 { // the same request twice: two signatures, neither a replay
		si, err := c.FindScannedInstance(context.Background(), "bob smith", "web 01/é")
		if err != nil {
			t.Fatal(err)
		}
		if si == nil || uforge.Int64Value(si.DBID) != 3 {
			t.Fatalf("instance = %+v", si)
		}
	}
	in := &uforge.ScannedInstance{Name: uforge.Str("web")}
	if err := c.Do(context.Background(), http.MethodPost, "users/bob/scannedinstances", nil, in, nil); err != nil {
		t.Fatalf("a signed POST with a body: %v", err)
	}

	c.SecretKey = "another"
	_, err := c.FindScannedInstance(context.Background(), "bob smith", "x")
	if ae, ok := AsAPIError(err); !ok || ae.Status != 401 {
		t.Fatalf("wrong secret: err = %v", err)
	}
	if seen.Load() != 4 {
		t.Errorf("%d requests, want 4 (no retry of a refused one)", seen.Load())
	}
}

func TestErrorWithoutUForgeBody(t *testing.T) {
	c, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "<html>Request Entity Too Large</html>", http.StatusRequestEntityTooLarge)
	})
	_, err := c.GetUser(context.Background(), "u")
	ae, ok := AsAPIError(err)
	if !ok || ae.Status != 413 || ae.MessageID != "" || !strings.Contains(ae.Message, "Too Large") {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(err.Error(), "GET users/u") {
		t.Errorf("error does not say which request: %v", err)
	}
}

// dropConn closes the connection without an answer: a network error to the client.
func dropConn(t *testing.T, w http.ResponseWriter) {
	t.Helper()
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		t.Fatal(err)
	}
	conn.Close()
}

func TestGetRetriedOnNetworkErrorsAndGatewayFailures(t *testing.T) {
	var calls atomic.Int32
	c, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch calls.Add(1) {
		case 1:
			dropConn(t, w)
		case 2:
			writeJSON(t, w, 503, uforgeError(503, "kiln.overloaded", "busy"))
		default:
			writeJSON(t, w, 200, &uforge.ScannedInstances{})
		}
	})
	si, err := c.FindScannedInstance(context.Background(), "u", "none")
	if err != nil || si != nil {
		t.Fatalf("FindScannedInstance = %v, %v; want nil, nil", si, err)
	}
	if n := calls.Load(); n != 3 {
		t.Errorf("%d calls, want 3", n)
	}
}

func TestGetGivesUpAfterRetries(t *testing.T) {
	var calls atomic.Int32
	c, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		writeJSON(t, w, 502, uforgeError(502, "kiln.down", "upgrading"))
	})
	c.Retries = 2
	_, err := c.GetScan(context.Background(), "u", 1, 2)
	if ae, ok := AsAPIError(err); !ok || ae.Status != 502 || ae.Message != "upgrading" {
		t.Fatalf("err = %v", err)
	}
	if n := calls.Load(); n != 3 {
		t.Errorf("%d calls, want 3", n)
	}
}

func TestClientErrorsAreNotRetried(t *testing.T) {
	var calls atomic.Int32
	c, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		writeJSON(t, w, 404, uforgeError(404, "kiln.notFound", "no such scan"))
	})
	if _, err := c.GetScan(context.Background(), "u", 1, 2); err == nil {
		t.Fatal("no error")
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("%d calls, want 1", n)
	}
}

func TestPostNotRetried(t *testing.T) {
	var calls atomic.Int32
	c, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		dropConn(t, w)
	})
	_, err := c.CreateScannedInstance(context.Background(), "u", &uforge.ScannedInstance{Name: uforge.Str("n")})
	if err == nil {
		t.Fatal("no error")
	}
	if _, ok := AsAPIError(err); ok {
		t.Errorf("a network error became an APIError: %v", err)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("POST sent %d times, want 1", n)
	}
}

func TestRetryStopsWithContext(t *testing.T) {
	c, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(t, w, 503, uforgeError(503, "x", "busy"))
	})
	c.RetryWait, c.Retries = time.Hour, 10
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.GetUser(ctx, "u")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Error("the backoff ignored the context")
	}
}

func TestCreateScannedInstanceAndScan(t *testing.T) {
	report := []byte(`{"distribution":{"id":"debian"}}`)
	c, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.Method + " " + r.URL.Path {
		case "POST /api/users/u/scannedinstances":
			if ct := r.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("content type %q", ct)
			}
			var si uforge.ScannedInstance
			if err := uforge.DecodeJSON(r.Body, &si); err != nil {
				t.Errorf("decode: %v", err)
			}
			if uforge.StrValue(si.Name) != "web01" || !uforge.BoolValue(si.OverlayIncluded) ||
				uforge.StrValue(si.Distribution.Name) != "Debian" || uforge.StrValue(si.Distribution.Arch) != "x86_64" {
				t.Errorf("instance sent: %+v", si)
			}
			si.DBID = uforge.Int64(7)
			writeJSON(t, w, 201, &si)
		case "POST /api/users/u/scannedinstances/7/scans":
			body, _ := io.ReadAll(r.Body)
			q := r.URL.Query()
			if r.Header.Get("Content-Type") != "application/octet-stream" || !bytes.Equal(body, report) ||
				q.Get("reportFileName") != "report.json" || q.Get("crc") != sprintCRC(body) || len(q.Get("crc")) != 8 {
				t.Errorf("scan upload: %s %q %v", r.URL.RawQuery, body, r.Header)
			}
			writeJSON(t, w, 201, &uforge.Scan{ScanSummary: uforge.ScanSummary{Object: uforge.Object{DBID: uforge.Int64(9)},
				Status: &uforge.OpStatus{Complete: uforge.Bool(false)}}})
		case "GET /api/users/u/scannedinstances/7/scans/9":
			if r.URL.Query().Get("pkgs") != "false" {
				t.Errorf("GetScan query %q", r.URL.RawQuery)
			}
			writeJSON(t, w, 200, &uforge.Scan{ScanSummary: uforge.ScanSummary{Object: uforge.Object{DBID: uforge.Int64(9)},
				Status: &uforge.OpStatus{Complete: uforge.Bool(true)}}})
		default:
			t.Errorf("unexpected %s %s", r.Method, r.URL)
			writeJSON(t, w, 404, uforgeError(404, "kiln.notFound", "no"))
		}
	})
	ctx := context.Background()
	si, err := c.CreateScannedInstance(ctx, "u", &uforge.ScannedInstance{Name: uforge.Str("web01"), OverlayIncluded: uforge.Bool(true),
		Distribution: &uforge.Distribution{Name: uforge.Str("Debian"), Version: uforge.Str("12"), Arch: uforge.Str("x86_64")}})
	if err != nil {
		t.Fatal(err)
	}
	siid, err := ID("scanned instance", si.DBID)
	if err != nil || siid != 7 {
		t.Fatalf("id %d, %v", siid, err)
	}
	s, err := c.CreateScan(ctx, "u", siid, report)
	if err != nil || uforge.Int64Value(s.DBID) != 9 {
		t.Fatalf("CreateScan = %+v, %v", s, err)
	}
	s, err = c.GetScan(ctx, "u", siid, 9)
	if err != nil || !uforge.BoolValue(s.Status.Complete) {
		t.Fatalf("GetScan = %+v, %v", s, err)
	}
	if _, err := ID("scan", nil); err == nil {
		t.Error("ID(nil) accepted")
	}
}

func sprintCRC(b []byte) string {
	const hexd = "0123456789abcdef"
	v := crc32.ChecksumIEEE(b)
	out := make([]byte, 8)
	for i := 7; i >= 0; i-- {
		out[i] = hexd[v&0xf]
		v >>= 4
	}
	return string(out)
}

func TestCRC32(t *testing.T) {
	if got := CRC32([]byte("123456789")); got != "cbf43926" { // the CRC-32 check value
		t.Errorf("CRC32 = %s", got)
	}
	if got := CRC32(nil); got != "00000000" {
		t.Errorf("CRC32(nil) = %s", got)
	}
}

func TestBackoff(t *testing.T) {
	for attempt := range 10 {
		d := Backoff(attempt, 100*time.Millisecond, 2*time.Second)
		want := min(100*time.Millisecond<<attempt, 2*time.Second)
		if d < want/2 || d > want {
			t.Errorf("attempt %d: %v not in [%v, %v]", attempt, d, want/2, want)
		}
	}
}

func TestBadBaseURL(t *testing.T) {
	c := &Client{BaseURL: "host:8080/api"}
	if _, err := c.GetUser(context.Background(), "u"); err == nil || !strings.Contains(err.Error(), "base URL") {
		t.Fatalf("err = %v", err)
	}
}
