package auth

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"net/url"
	"strings"
)

// UForge signs API-key requests with HMAC-SHA1, but its documentation contradicts
// itself on what is signed and how the digest is encoded (contract §2.2). Kiln
// accepts every documented variant and signs with one canonical form:
//
//	canonical string = request path relative to the API base, without a leading
//	                   slash, plus "?" and the query string up to (not including)
//	                   "&signature=", e.g. "users/john/appliances?apiKey=PUB"
//	signature        = base64(HMAC-SHA1(secret, canonical string)), URL-encoded
//	                   as the last query parameter "signature".
//
// Also accepted: the absolute path ("/api/users/john/…?apiKey=PUB"), the full
// URL as received, and base64 of the hex digest instead of the raw digest.

// Sign returns the signature of canonical with secret (base64 of the raw digest).
func Sign(secret, canonical string) string {
	return base64.StdEncoding.EncodeToString(mac(secret, canonical))
}

// SignURL appends apiKey and signature to rawURL (an absolute URL whose path
// starts with basePath), in Kiln's canonical form.
func SignURL(rawURL, basePath, publicKey, secret string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", err
	}
	q := u.RawQuery
	if q != "" {
		q += "&"
	}
	q += "apiKey=" + url.QueryEscape(publicKey)
	u.RawQuery = q
	rel := strings.TrimPrefix(strings.TrimPrefix(u.EscapedPath(), strings.TrimSuffix(basePath, "/")), "/")
	sig := Sign(secret, rel+"?"+q)
	u.RawQuery = q + "&signature=" + url.QueryEscape(sig)
	return u.String(), nil
}

// VerifyRequest checks signature against every accepted canonical form. path is
// the escaped request path, basePath the API prefix ("/api"), rawQuery the query as
// received, fullURL the absolute URL as received.
func VerifyRequest(secret, signature, basePath, path, rawQuery, fullURL string) bool {
	unsigned := stripSignature(rawQuery)
	rel := strings.TrimPrefix(strings.TrimPrefix(path, strings.TrimSuffix(basePath, "/")), "/")
	candidates := []string{
		rel + "?" + unsigned,
		path + "?" + unsigned,
		stripSignature(fullURL),
	}
	got := []byte(signature)
	ok := false
	for _, c := range candidates {
		d := mac(secret, c)
		raw := base64.StdEncoding.EncodeToString(d)
		hexed := base64.StdEncoding.EncodeToString([]byte(hex.EncodeToString(d)))
		// Evaluate all comparisons so timing does not reveal which form matched.
		if subtle.ConstantTimeCompare(got, []byte(raw)) == 1 {
			ok = true
		}
		if subtle.ConstantTimeCompare(got, []byte(hexed)) == 1 {
			ok = true
		}
	}
	return ok
}

// stripSignature removes the "signature" parameter (and everything after it,
// since it is appended last) from a query string or URL.
func stripSignature(s string) string {
	for _, sep := range []string{"&signature=", "?signature="} {
		if i := strings.Index(s, sep); i >= 0 {
			return s[:i]
		}
	}
	return s
}

func mac(secret, msg string) []byte {
	h := hmac.New(sha1.New, []byte(secret))
	h.Write([]byte(msg))
	return h.Sum(nil)
}
