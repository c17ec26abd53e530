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

// UForge's legacy form (contract §2.2) signs with HMAC-SHA1, and its
// documentation contradicts itself on what is signed and how the digest is
// encoded. Kiln signs legacy requests with one canonical form:
//
//	canonical string = request path relative to the API base, without a leading
//	                   slash, plus "?" and the query string before the final
//	                   "&signature=", e.g. "users/john/appliances?apiKey=PUB"
//	signature        = base64(HMAC-SHA1(secret, canonical string)), URL-encoded
//	                   as the last query parameter "signature".
//
// and accepts the documented variants too: the absolute path
// ("/api/users/john/…?apiKey=PUB"), the full URL as received, and base64 of the
// hex digest instead of the raw digest.
//
// The form covers neither the method nor the body, and a signed URL stays valid
// forever: whoever sees one may send it again, with another method or body.
// That is why Verifier accepts it only for GET and HEAD unless the operator
// allows more, and why Kiln's own client uses the v1 form (sigv1.go).

// Sign returns the legacy signature of canonical with secret (base64 of the raw digest).
func Sign(secret, canonical string) string {
	return base64.StdEncoding.EncodeToString(macSHA1(secret, canonical))
}

// SignURL appends apiKey and signature to rawURL (an absolute URL whose path
// starts with basePath) in the legacy canonical form, as hammr signs.
func SignURL(rawURL, basePath, publicKey, secret string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", err
	}
	q := appendParam(u.RawQuery, ParamAPIKey, publicKey)
	sig := Sign(secret, relPath(u.EscapedPath(), basePath)+"?"+q)
	u.RawQuery = appendParam(q, ParamSignature, sig)
	return u.String(), nil
}

// verifyLegacy checks s against every accepted legacy canonical form of a
// request to escapedPath at origin ("scheme://host").
func verifyLegacy(secret string, s *Signed, basePath, escapedPath, origin string) bool {
	candidates := []string{
		relPath(escapedPath, basePath) + "?" + s.Unsigned,
		escapedPath + "?" + s.Unsigned,
		origin + escapedPath + "?" + s.Unsigned,
	}
	got := []byte(s.Signature)
	ok := false
	for _, c := range candidates {
		d := macSHA1(secret, c)
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

// relPath is escapedPath relative to basePath, without a leading slash: the
// path both signed forms cover.
func relPath(escapedPath, basePath string) string {
	return strings.TrimPrefix(strings.TrimPrefix(escapedPath, strings.TrimSuffix(basePath, "/")), "/")
}

// appendParam adds name=value (both query-escaped) at the end of rawQuery.
func appendParam(rawQuery, name, value string) string {
	if rawQuery != "" {
		rawQuery += "&"
	}
	return rawQuery + url.QueryEscape(name) + "=" + url.QueryEscape(value)
}

func macSHA1(secret, msg string) []byte {
	h := hmac.New(sha1.New, []byte(secret))
	h.Write([]byte(msg))
	return h.Sum(nil)
}
