package api

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/kilnhq/kiln/internal/auth"
	"github.com/kilnhq/kiln/internal/service"
)

// authenticate identifies the caller: an API key signature (apiKey … signature
// query parameters: Kiln's v1 form or UForge's legacy one, internal/auth) or
// HTTP Basic. Supervisor logins ("admin\\john") are not supported and fail
// like a wrong password.
func (s *Server) authenticate(r *http.Request) (*service.Principal, error) {
	signed, err := auth.ParseSigned(r.URL.RawQuery)
	if err != nil {
		return nil, signatureError(err)
	}
	if signed != nil {
		return s.authenticateKey(r, signed)
	}
	login, password, ok := basicAuth(r)
	if !ok {
		return nil, unauthorized("authentication required: HTTP Basic or an API key signature")
	}
	p, err := s.users.Authenticate(r.Context(), login, password, s.clientAddr(r))
	if err != nil {
		if se, ok := service.AsError(err); ok && se.Kind == service.KindForbidden {
			return nil, unauthorized(se.Msg)
		}
		return nil, err
	}
	return p, nil
}

// authenticateKey checks a signed request. An unknown key and a bad signature
// get the same answer; an expired key is named as such only once the
// signature proved the caller holds its secret.
func (s *Server) authenticateKey(r *http.Request, signed *auth.Signed) (*service.Principal, error) {
	p, k, err := s.users.APIKeySecret(r.Context(), signed.PublicKey)
	if err != nil {
		if _, ok := service.AsError(err); ok {
			return nil, unauthorized("unknown API key or bad signature")
		}
		return nil, err
	}
	if err := s.verifier.Verify(r, signed, k.SecretKey); err != nil {
		return nil, signatureError(err)
	}
	if k.Expired(time.Now()) {
		return nil, unauthorized("this API key expired at " + k.Expires.Format(time.RFC3339) + ": create another")
	}
	return p, nil
}

// signatureError maps a refused signature to 401, a full replay cache to 503.
func signatureError(err error) error {
	var re *auth.RefusedError
	switch {
	case errors.As(err, &re):
		return unauthorized(re.Reason)
	case errors.Is(err, auth.ErrReplayCacheFull):
		return newError(http.StatusServiceUnavailable, "kiln.unavailable.signatures", "%s", err.Error())
	}
	return err
}

// basicAuth reads Basic credentials, also tolerating the unencoded
// "Basic login:password" form shown in UForge's documentation.
func basicAuth(r *http.Request) (login, password string, ok bool) {
	if login, password, ok = r.BasicAuth(); ok {
		return login, password, true
	}
	h := r.Header.Get("Authorization")
	scheme, rest, found := strings.Cut(h, " ")
	if !found || !strings.EqualFold(scheme, "Basic") {
		return "", "", false
	}
	if _, err := base64.StdEncoding.DecodeString(rest); err == nil {
		return "", "", false // valid base64 without a colon: malformed
	}
	return strings.Cut(rest, ":")
}
