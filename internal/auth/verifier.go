package auth

import (
	"crypto/subtle"
	"net/http"
	"time"
)

// Verifier checks requests signed with an API key, in either form.
type Verifier struct {
	// BasePath is the API prefix the signed paths are relative to ("/api").
	BasePath string
	// LegacyAnyMethod accepts UForge's legacy form for every method. Without
	// it the legacy form, which covers neither method nor body, is accepted for
	// GET and HEAD only: a captured signed GET can then only be read again.
	LegacyAnyMethod bool
	// Replay refuses v1 signatures seen before; nil checks none.
	Replay *ReplayGuard
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Verify checks that s, read from r's query by ParseSigned, signs r with
// secret. For the v1 form it also checks the timestamp, refuses a replay, and
// replaces r.Body by one whose last read fails unless the body is the one
// signed. A refusal is a *RefusedError (or ErrReplayCacheFull).
func (v *Verifier) Verify(r *http.Request, s *Signed, secret string) error {
	if s.Scheme == "" {
		if !v.LegacyAnyMethod && r.Method != http.MethodGet && r.Method != http.MethodHead {
			return refused("this request is signed in UForge's legacy form, which covers neither the method nor the body: "+
				"this server accepts it for GET and HEAD only (sign with %s=%s, or see kiln serve --legacy-api-key-signatures)", ParamScheme, SchemeV1)
		}
		if !verifyLegacy(secret, s, v.BasePath, r.URL.EscapedPath(), origin(r)) {
			return refused("unknown API key or bad signature")
		}
		return nil
	}
	now := time.Now()
	if v.Now != nil {
		now = v.Now()
	}
	signedAt := time.Unix(s.Timestamp, 0)
	if d := now.Sub(signedAt); d > MaxSkew || d < -MaxSkew {
		return refused("the signature's timestamp is %s away from the server's clock (at most %s): check the client's clock",
			d.Abs().Round(time.Second), MaxSkew)
	}
	bodyHash := r.Header.Get(BodyHashHeader)
	if bodyHash == "" {
		bodyHash = emptyBodyHash
	}
	if !validBodyHash(bodyHash) {
		return refused("%s: want the lowercase hex SHA-256 of the body", BodyHashHeader)
	}
	want := signV1(secret, canonicalV1(r.Method, relPath(r.URL.EscapedPath(), v.BasePath), s.Unsigned, s.Timestamp, bodyHash))
	if subtle.ConstantTimeCompare([]byte(s.Signature), []byte(want)) != 1 {
		return refused("unknown API key or bad signature")
	}
	if v.Replay != nil {
		fresh, err := v.Replay.first(s.PublicKey, s.Signature, signedAt.Add(MaxSkew), now)
		if err != nil {
			return err
		}
		if !fresh {
			return refused("this signed request was already received: sign every request anew")
		}
	}
	if r.Body != nil {
		r.Body = newCheckedBody(r.Body, bodyHash)
	}
	return nil
}

// origin is "scheme://host" of r as the client addressed it (the legacy form
// may sign the full URL).
func origin(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if fp := r.Header.Get("X-Forwarded-Proto"); fp != "" {
		scheme = fp
	}
	return scheme + "://" + r.Host
}
