package auth

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Query parameters of a request signed with an API key.
const (
	ParamAPIKey    = "apiKey"    // the public key
	ParamSignature = "signature" // always the last parameter
	ParamScheme    = "kilnSig"   // SchemeV1 for Kiln's form; absent for UForge's legacy form
	ParamTimestamp = "timestamp" // v1: Unix seconds when the request was signed
	ParamNonce     = "nonce"     // v1: random, unique per request
)

// SchemeV1 is the value of ParamScheme for Kiln's signed form (sigv1.go).
const SchemeV1 = "v1"

// maxNonce bounds the nonce: it is kept in the replay cache.
const maxNonce = 128

// Signed holds the signature parameters of a request, as ParseSigned read them.
type Signed struct {
	PublicKey string
	Signature string
	Scheme    string // "" (legacy) or SchemeV1
	Timestamp int64  // v1
	Nonce     string // v1
	// Unsigned is the raw query as received before the signature parameter:
	// all of the query the signature covers, which is all of the query but it.
	Unsigned string
}

// RefusedError says why a signed request is refused. Its message is meant for
// the caller: it names what is wrong with the request, never a secret.
type RefusedError struct{ Reason string }

func (e *RefusedError) Error() string { return e.Reason }

func refused(format string, args ...any) error {
	return &RefusedError{Reason: fmt.Sprintf(format, args...)}
}

// ParseSigned reads the signature parameters of rawQuery; nil, nil when it has
// neither apiKey nor signature (the request is not signed). Signature
// parameters are read exactly as the handlers will read the query (names
// URL-decoded), and anything that would let a signature cover less than the
// request is refused: a parameter after signature (the handlers would honour
// it), a repeated signature parameter (two readers could pick different ones),
// a value that cannot be decoded.
func ParseSigned(rawQuery string) (*Signed, error) {
	if rawQuery == "" {
		return nil, nil
	}
	pairs := strings.Split(rawQuery, "&")
	values := map[string]string{}
	sigAt := -1
	for i, p := range pairs {
		rawName, rawValue, _ := strings.Cut(p, "=")
		name, err := url.QueryUnescape(rawName)
		if err != nil {
			continue // url.ParseQuery drops it too: no handler sees it
		}
		switch name {
		case ParamAPIKey, ParamSignature, ParamScheme, ParamTimestamp, ParamNonce:
		default:
			continue
		}
		if _, dup := values[name]; dup {
			return nil, refused("the query parameter %s is repeated: a signed request names it once", name)
		}
		v, err := url.QueryUnescape(rawValue)
		if err != nil {
			return nil, refused("query parameter %s: its value is not valid URL encoding", name)
		}
		values[name] = v
		if name == ParamSignature {
			sigAt = i
		}
	}
	_, hasKey := values[ParamAPIKey]
	if !hasKey && sigAt < 0 {
		return nil, nil
	}
	s := &Signed{PublicKey: values[ParamAPIKey], Signature: values[ParamSignature], Scheme: values[ParamScheme]}
	switch {
	case s.PublicKey == "":
		return nil, refused("the request has a signature but no apiKey")
	case s.Signature == "":
		return nil, refused("the request has an apiKey but no signature")
	case sigAt != len(pairs)-1:
		return nil, refused("signature must be the last query parameter: nothing after it is signed")
	}
	s.Unsigned = strings.Join(pairs[:sigAt], "&")
	switch s.Scheme {
	case "":
		return s, nil
	case SchemeV1:
	default:
		return nil, refused("%s=%q is not a signature scheme Kiln knows (%s)", ParamScheme, s.Scheme, SchemeV1)
	}
	ts, err := strconv.ParseInt(values[ParamTimestamp], 10, 64)
	if err != nil {
		return nil, refused("%s: want the Unix time in seconds when the request was signed", ParamTimestamp)
	}
	s.Timestamp = ts
	s.Nonce = values[ParamNonce]
	if s.Nonce == "" || len(s.Nonce) > maxNonce {
		return nil, refused("%s: want a random value of 1 to %d characters, new for every request", ParamNonce, maxNonce)
	}
	return s, nil
}
