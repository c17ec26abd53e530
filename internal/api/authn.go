package api

import (
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/kilnhq/kiln/internal/auth"
	"github.com/kilnhq/kiln/internal/service"
)

// authenticate identifies the caller: an API key signature (apiKey + signature
// query parameters, contract §2.2) or HTTP Basic. Supervisor logins
// ("admin\\john") are not supported and fail like a wrong password.
func (s *Server) authenticate(r *http.Request) (*service.Principal, error) {
	q := r.URL.Query()
	if pub := q.Get("apiKey"); pub != "" {
		sig := q.Get("signature")
		if sig == "" {
			return nil, unauthorized("the request has an apiKey but no signature")
		}
		p, secret, err := s.users.APIKeySecret(r.Context(), pub)
		if err != nil {
			return nil, unauthorized("unknown API key or bad signature")
		}
		if !auth.VerifyRequest(secret, sig, BasePath, r.URL.EscapedPath(), r.URL.RawQuery, s.fullURL(r)) {
			return nil, unauthorized("unknown API key or bad signature")
		}
		return p, nil
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

// fullURL reconstructs the absolute URL the client signed.
func (s *Server) fullURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if fp := r.Header.Get("X-Forwarded-Proto"); fp != "" {
		scheme = fp
	}
	return scheme + "://" + r.Host + r.URL.RequestURI()
}
