package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"net/url"
	"strconv"
	"time"
)

// Kiln's signed form, v1, covers what the legacy form leaves out: the method,
// the body and the time. A request carries in its query, after its own
// parameters,
//
//	apiKey=PUB&kilnSig=v1&timestamp=UNIX_SECONDS&nonce=RANDOM&signature=SIG
//
// and the header BodyHashHeader: the lowercase hex SHA-256 of the body (of
// nothing when there is none; the header may then be left out), where
//
//	SIG = base64(HMAC-SHA256(secret, METHOD "\n" PATH "\n" QUERY "\n" TIMESTAMP "\n" BODYHASH))
//
// PATH is the escaped path relative to the API base without a leading slash
// ("users/john/appliances"), QUERY the raw query before "&signature=", as sent.
// The server refuses a timestamp more than MaxSkew away from its clock and, on
// each node, a signature it has already accepted (the nonce makes two identical
// requests sign differently).

// BodyHashHeader carries the hex SHA-256 of the body a v1 signature covers.
const BodyHashHeader = "X-Kiln-Content-SHA256"

// MaxSkew is how far a v1 timestamp may be from the server's clock.
const MaxSkew = 5 * time.Minute

// emptyBodyHash is the hex SHA-256 of an empty body.
var emptyBodyHash = BodyHash(nil)

// BodyHash returns the hex SHA-256 of body, the value of BodyHashHeader.
func BodyHash(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}

// SignV1 signs a request in Kiln's form: it returns rawURL (an absolute URL
// whose path starts with basePath) with the signature parameters appended, and
// the value to send in BodyHashHeader.
func SignV1(method, rawURL, basePath, publicKey, secret string, body []byte, now time.Time) (signedURL, bodyHash string, err error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", "", fmt.Errorf("sign: %w", err)
	}
	nonce, err := RandomToken(12)
	if err != nil {
		return "", "", fmt.Errorf("sign: %w", err)
	}
	ts := now.Unix()
	q := appendParam(u.RawQuery, ParamAPIKey, publicKey)
	q = appendParam(q, ParamScheme, SchemeV1)
	q = appendParam(q, ParamTimestamp, strconv.FormatInt(ts, 10))
	q = appendParam(q, ParamNonce, nonce)
	bodyHash = BodyHash(body)
	sig := signV1(secret, canonicalV1(method, relPath(u.EscapedPath(), basePath), q, ts, bodyHash))
	u.RawQuery = appendParam(q, ParamSignature, sig)
	return u.String(), bodyHash, nil
}

func canonicalV1(method, rel, unsigned string, ts int64, bodyHash string) string {
	return method + "\n" + rel + "\n" + unsigned + "\n" + strconv.FormatInt(ts, 10) + "\n" + bodyHash
}

func signV1(secret, canonical string) string {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(canonical))
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// validBodyHash reports whether s is 64 lowercase hex digits.
func validBodyHash(s string) bool {
	if len(s) != 2*sha256.Size {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// checkedBody passes a request body through, hashing it, and fails the read
// that reaches its end when the body is not the one the signature covers. The
// body is streamed, never held: a consumer must treat that last error like a
// broken connection (the decoders and the upload handlers already do).
type checkedBody struct {
	io.ReadCloser
	h    hash.Hash
	want string
}

func newCheckedBody(body io.ReadCloser, want string) *checkedBody {
	return &checkedBody{ReadCloser: body, h: sha256.New(), want: want}
}

func (b *checkedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.h.Write(p[:n])
	if err == io.EOF && hex.EncodeToString(b.h.Sum(nil)) != b.want {
		return n, refused("the request body is not the one signed (its SHA-256 differs from %s)", BodyHashHeader)
	}
	return n, err
}
