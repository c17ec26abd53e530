package auth

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

var clock = time.Unix(1_750_000_000, 0)

// signedRequest builds the server's view of a request to rawURL.
func signedRequest(t *testing.T, method, rawURL string, body string, hdr map[string]string) (*http.Request, *Signed) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	r := httptest.NewRequest(method, rawURL, rd)
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	s, err := ParseSigned(r.URL.RawQuery)
	if err != nil || s == nil {
		t.Fatalf("ParseSigned(%q) = %v, %v", r.URL.RawQuery, s, err)
	}
	return r, s
}

func verifier() *Verifier {
	return &Verifier{BasePath: "/api", Replay: NewReplayGuard(100), Now: func() time.Time { return clock }}
}

func TestLegacySignURLVerifies(t *testing.T) {
	signed, err := SignURL("http://kiln:8080/api/users/john/appliances?query=name%3D%3D'x'", "/api", "PUB", "SECRET")
	if err != nil {
		t.Fatal(err)
	}
	v := verifier()
	r, s := signedRequest(t, "GET", signed, "", nil)
	if err := v.Verify(r, s, "SECRET"); err != nil {
		t.Fatalf("canonical signature refused: %v", err)
	}
	if err := v.Verify(r, s, "OTHER"); err == nil {
		t.Fatal("signature accepted with the wrong secret")
	}
	// Tampering with the query invalidates it.
	r, s = signedRequest(t, "GET", strings.Replace(signed, "x", "y", 1), "", nil)
	if err := v.Verify(r, s, "SECRET"); err == nil {
		t.Fatal("tampered query accepted")
	}
}

// The documentation's diagram signs the relative path and base64-encodes the
// hex digest; its curl example signs the full URL with the raw digest.
func TestLegacyVerifyAcceptsDocumentedVariants(t *testing.T) {
	rel := "users/myUser/appliances?apiKey=PUB"
	hexSig := base64.StdEncoding.EncodeToString([]byte(hex.EncodeToString(macSHA1("S", rel))))
	if len(hexSig) != 56 {
		t.Fatalf("hex variant should be 56 chars, got %d", len(hexSig))
	}
	r, s := signedRequest(t, "GET", "http://h/api/users/myUser/appliances?apiKey=PUB&signature="+url.QueryEscape(hexSig), "", nil)
	if err := verifier().Verify(r, s, "S"); err != nil {
		t.Fatalf("hex-digest variant refused: %v", err)
	}
	full := "http://10.1.2.206/api/users/myUser?apiKey=PUB"
	rawFull := Sign("S", full)
	if len(rawFull) != 28 {
		t.Fatalf("raw variant should be 28 chars, got %d", len(rawFull))
	}
	r, s = signedRequest(t, "GET", full+"&signature="+url.QueryEscape(rawFull), "", nil)
	if err := verifier().Verify(r, s, "S"); err != nil {
		t.Fatalf("full-URL variant refused: %v", err)
	}
}

// The legacy form covers neither method nor body: another method is refused
// unless the operator allows it.
func TestLegacyOnlyForSafeMethods(t *testing.T) {
	signed, _ := SignURL("http://h/api/users/alice/appliances/2", "/api", "PUB", "S")
	for _, m := range []string{"DELETE", "PUT", "POST"} {
		r, s := signedRequest(t, m, signed, "", nil)
		err := verifier().Verify(r, s, "S")
		var re *RefusedError
		if !errors.As(err, &re) || !strings.Contains(re.Reason, "GET and HEAD only") {
			t.Errorf("%s with a legacy signature: err = %v", m, err)
		}
		v := verifier()
		v.LegacyAnyMethod = true
		if err := v.Verify(r, s, "S"); err != nil {
			t.Errorf("%s allowed by the operator: %v", m, err)
		}
	}
	r, s := signedRequest(t, "HEAD", signed, "", nil)
	if err := verifier().Verify(r, s, "S"); err != nil {
		t.Errorf("HEAD: %v", err)
	}
}

func TestParseSignedRefusesWhatTheSignatureWouldNotCover(t *testing.T) {
	for _, tc := range []struct{ query, want string }{
		{"apiKey=P&signature=x&query=name%3D%3D'y'", "last query parameter"},
		{"apiKey=P&apiKey=Q&signature=x", "apiKey is repeated"},
		{"apiKey=P&signature=x&signature=y", "signature is repeated"},
		{"api%4Bey=P&apiKey=Q&signature=x", "apiKey is repeated"}, // names are compared decoded, as handlers read them
		{"apiKey=P", "no signature"},
		{"signature=x", "no apiKey"},
		{"apiKey=P&kilnSig=v9&signature=x", "not a signature scheme"},
		{"apiKey=P&kilnSig=v1&nonce=n&signature=x", "timestamp"},
		{"apiKey=P&kilnSig=v1&timestamp=1&signature=x", "nonce"},
		{"apiKey=P&signature=%zz", "not valid URL encoding"},
	} {
		s, err := ParseSigned(tc.query)
		var re *RefusedError
		if !errors.As(err, &re) || !strings.Contains(re.Reason, tc.want) {
			t.Errorf("ParseSigned(%q) = %+v, %v; want a refusal naming %q", tc.query, s, err, tc.want)
		}
	}
	if s, err := ParseSigned("query=x&count=2"); s != nil || err != nil {
		t.Errorf("an unsigned query: %+v, %v", s, err)
	}
	s, err := ParseSigned("a=1&apiKey=P%2B&kilnSig=v1&timestamp=5&nonce=n&signature=x%3D")
	if err != nil || s.PublicKey != "P+" || s.Signature != "x=" || s.Timestamp != 5 || s.Nonce != "n" ||
		s.Unsigned != "a=1&apiKey=P%2B&kilnSig=v1&timestamp=5&nonce=n" {
		t.Errorf("ParseSigned = %+v, %v", s, err)
	}
}

func signV1Request(t *testing.T, method, rawURL, body string, at time.Time) (string, map[string]string) {
	t.Helper()
	signed, hash, err := SignV1(method, rawURL, "/api", "PUB", "S", []byte(body), at)
	if err != nil {
		t.Fatal(err)
	}
	return signed, map[string]string{BodyHashHeader: hash}
}

func TestV1CoversMethodBodyAndTime(t *testing.T) {
	const target = "http://h/api/users/alice/appliances?query=name%3D%3D'web'"
	signed, hdr := signV1Request(t, "PUT", target, `{"appliance":{}}`, clock)
	v := verifier()
	r, s := signedRequest(t, "PUT", signed, `{"appliance":{}}`, hdr)
	if err := v.Verify(r, s, "S"); err != nil {
		t.Fatalf("a good v1 signature refused: %v", err)
	}
	if b, err := io.ReadAll(r.Body); err != nil || string(b) != `{"appliance":{}}` {
		t.Fatalf("body = %q, %v", b, err)
	}

	refusedWith := func(what, method, rawURL, body string, hdr map[string]string, want string) {
		t.Helper()
		r, s := signedRequest(t, method, rawURL, body, hdr)
		err := verifier().Verify(r, s, "S")
		if err == nil {
			_, err = io.ReadAll(r.Body) // a body check fails at the end of the body
		}
		var re *RefusedError
		if !errors.As(err, &re) || !strings.Contains(re.Reason, want) {
			t.Errorf("%s: err = %v, want a refusal naming %q", what, err, want)
		}
	}
	refusedWith("another method", "DELETE", signed, `{"appliance":{}}`, hdr, "bad signature")
	refusedWith("another body", "PUT", signed, `{"appliance":{"x":1}}`, hdr, "not the one signed")
	refusedWith("another body hash", "PUT", signed, `{"appliance":{"x":1}}`,
		map[string]string{BodyHashHeader: BodyHash([]byte(`{"appliance":{"x":1}}`))}, "bad signature")
	refusedWith("no body hash", "PUT", signed, "", nil, "bad signature")
	refusedWith("another path", "PUT", strings.Replace(signed, "alice", "bob", 1), `{"appliance":{}}`, hdr, "bad signature")
	refusedWith("another timestamp", "PUT", strings.Replace(signed, "timestamp=1750000000", "timestamp=1750000001", 1),
		`{"appliance":{}}`, hdr, "bad signature")
	old, oldHdr := signV1Request(t, "GET", target, "", clock.Add(-MaxSkew-time.Second))
	refusedWith("too old", "GET", old, "", oldHdr, "away from the server's clock")
	future, futureHdr := signV1Request(t, "GET", target, "", clock.Add(MaxSkew+time.Second))
	refusedWith("from the future", "GET", future, "", futureHdr, "away from the server's clock")
	refusedWith("a malformed body hash", "PUT", signed, "", map[string]string{BodyHashHeader: "ABC"}, "lowercase hex")

	// The same signed request twice: the second is a replay, even on a fresh
	// request object; a new signature of the same request goes through.
	get, getHdr := signV1Request(t, "GET", target, "", clock)
	r, s = signedRequest(t, "GET", get, "", getHdr)
	if err := v.Verify(r, s, "S"); err != nil {
		t.Fatal(err)
	}
	r, s = signedRequest(t, "GET", get, "", getHdr)
	if err := v.Verify(r, s, "S"); err == nil || !strings.Contains(err.Error(), "already received") {
		t.Fatalf("replay: err = %v", err)
	}
	again, againHdr := signV1Request(t, "GET", target, "", clock)
	r, s = signedRequest(t, "GET", again, "", againHdr)
	if err := v.Verify(r, s, "S"); err != nil {
		t.Fatalf("a new signature of the same request: %v", err)
	}
}

func TestReplayGuardBounded(t *testing.T) {
	g := NewReplayGuard(2)
	until := clock.Add(time.Minute)
	for _, sig := range []string{"a", "b"} {
		if ok, err := g.first("P", sig, until, clock); !ok || err != nil {
			t.Fatalf("first(%s) = %v, %v", sig, ok, err)
		}
	}
	if _, err := g.first("P", "c", until, clock); !errors.Is(err, ErrReplayCacheFull) {
		t.Fatalf("full guard: err = %v", err)
	}
	// Once the remembered signatures leave the window they make room, and a
	// signature that left it is no replay any more (its timestamp is refused instead).
	later := until.Add(time.Second)
	if ok, err := g.first("P", "c", later.Add(time.Minute), later); !ok || err != nil {
		t.Fatalf("after the window: %v, %v", ok, err)
	}
}
