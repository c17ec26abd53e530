package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kilnhq/kiln/internal/auth"
	"github.com/kilnhq/kiln/internal/service"
	"github.com/kilnhq/kiln/internal/uforge"
)

// access says who may call a route.
type access int

const (
	authenticated access = iota // any signed-in user (plus the entitlement, if any)
	public                      // no credentials (GET /status, downloads with downloadId)
)

// route is one line of the API table (see routes.go).
type route struct {
	pattern     string // ServeMux pattern relative to BasePath, e.g. "GET /users/{uid}"
	access      access
	entitlement string // required entitlement, "" for none
	handle      func(*request) (*response, error)
}

// request is what a handler sees.
type request struct {
	*http.Request
	w      http.ResponseWriter
	srv    *Server
	caller *service.Principal // nil on public routes
	media  mediaType          // response representation
}

// response is what a handler returns: a wire object (or nothing) and a status.
type response struct {
	status       int
	body         uforge.Root
	lastModified time.Time // for Last-Modified / If-Modified-Since
	location     string    // relative uri of a created resource
	written      bool      // the handler streamed the body itself
}

func ok(body uforge.Root) *response { return &response{status: http.StatusOK, body: body} }

// answer is the usual end of a handler: a use case's result, 200 or its error.
func answer[T uforge.Root](body T, err error) (*response, error) {
	if err != nil {
		return nil, err
	}
	return ok(body), nil
}
func created(body uforge.Root) *response { return &response{status: http.StatusCreated, body: body} }
func noContent() *response               { return &response{status: http.StatusNoContent} }

func (s *Server) handle(rt route) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		req := &request{Request: r, w: w, srv: s, media: negotiate(r.Header.Get("Accept"))}
		if err := checkBodyType(r); err != nil {
			s.writeError(w, r, err)
			return
		}
		if rt.access == authenticated {
			p, err := s.authenticate(r)
			if err != nil {
				if e := asAPIError(err); e.Status == http.StatusUnauthorized {
					w.Header().Set("WWW-Authenticate", `Basic realm="kiln"`)
				}
				s.writeError(w, r, err)
				return
			}
			if rt.entitlement != "" && !p.Has(rt.entitlement) {
				s.writeError(w, r, forbidden(rt.entitlement))
				return
			}
			req.caller = p
		}
		resp, err := rt.handle(req)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if resp.written {
			return
		}
		s.writeResponse(w, r, req.media, resp)
	}
}

// writeResponse encodes resp, with ETag/Last-Modified and 304 on GET.
func (s *Server) writeResponse(w http.ResponseWriter, r *http.Request, m mediaType, resp *response) {
	if resp.body == nil {
		w.WriteHeader(resp.status)
		return
	}
	var buf bytes.Buffer
	var err error
	if m == mediaJSON {
		err = uforge.EncodeJSON(&buf, resp.body)
	} else {
		err = uforge.EncodeXML(&buf, resp.body)
	}
	if err != nil {
		s.log.Error("encode response", "path", r.URL.Path, "err", err)
		s.writeError(w, r, errors.New("encode response"))
		return
	}
	h := w.Header()
	h.Set("Content-Type", m.contentType()+"; charset=utf-8")
	h.Add("Vary", "Accept")
	if resp.location != "" {
		h.Set("Location", strings.TrimSuffix(s.cfg.PublicURL, "/")+"/"+resp.location)
	}
	if r.Method == http.MethodGet && resp.status == http.StatusOK {
		sum := sha256.Sum256(buf.Bytes())
		etag := `"` + hex.EncodeToString(sum[:16]) + `"`
		h.Set("ETag", etag)
		if !resp.lastModified.IsZero() {
			h.Set("Last-Modified", resp.lastModified.UTC().Format(http.TimeFormat))
		}
		if notModified(r, etag, resp.lastModified) {
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(resp.status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(buf.Bytes())
	}
}

// notModified applies If-None-Match (preferred) or If-Modified-Since.
func notModified(r *http.Request, etag string, lastModified time.Time) bool {
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		for _, t := range strings.Split(inm, ",") {
			t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
			if t == etag || t == "*" {
				return true
			}
		}
		return false
	}
	if ims := r.Header.Get("If-Modified-Since"); ims != "" && !lastModified.IsZero() {
		if t, err := http.ParseTime(ims); err == nil && !lastModified.Truncate(time.Second).After(t) {
			return true
		}
	}
	return false
}

// writeError writes err as a uforgeError in the negotiated representation.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := asAPIError(mapServiceError(err))
	if e.Status >= 500 {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if ra := e.retryAfter(); ra != "" {
		w.Header().Set("Retry-After", ra)
	}
	msg := e.Msg
	body := &uforge.UForgeError{
		LocalizedErrorMsg: &uforge.LocalizedMessage{Message: uforge.Str(msg), MessageID: uforge.Str(e.ID)},
		RequestMethod:     uforge.Str(r.Method),
		RequestURI:        uforge.Str(strings.TrimPrefix(strings.TrimPrefix(r.URL.Path, BasePath), "/")),
		StatusCode:        uforge.Int(e.Status),
		Timestamp:         new(time.Now().UTC()),
	}
	if len(e.Params) > 0 {
		body.LocalizedErrorMsg.Parameters = e.Params
	}
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((e.RetryAfter+time.Second-1)/time.Second)))
	}
	s.writeResponse(w, r, negotiate(r.Header.Get("Accept")), &response{status: e.Status, body: body})
}

// mapServiceError turns use-case errors into API errors.
func mapServiceError(err error) error {
	se, ok := service.AsError(err)
	if !ok {
		return err
	}
	status := map[service.Kind]int{
		service.KindInvalid:     http.StatusBadRequest,
		service.KindNotFound:    http.StatusNotFound,
		service.KindConflict:    http.StatusConflict,
		service.KindForbidden:   http.StatusForbidden,
		service.KindTooLarge:    http.StatusRequestEntityTooLarge,
		service.KindUnavailable: http.StatusServiceUnavailable,
		service.KindQuota:       http.StatusForbidden,
		service.KindTooMany:     http.StatusTooManyRequests,
	}[se.Kind]
	if status == 0 {
		status = http.StatusInternalServerError
	}
	return &Error{Status: status, ID: "kiln." + se.ID, Msg: se.Msg, RetryAfter: se.RetryAfter}
}

// decode reads the request body into v, strictly, in the representation of
// Content-Type, within the size limit.
func (r *request) decode(v uforge.Root) error {
	data, m, err := r.body(v.RootName())
	if err != nil {
		return err
	}
	return decodeAs(data, m, v)
}

// body reads the request body within the size limit and tells its representation.
func (r *request) body(what string) ([]byte, mediaType, error) {
	if r.ContentLength == 0 && r.Header.Get("Content-Type") == "" {
		return nil, 0, badRequest("body.empty", "a %s body is required", what)
	}
	m, ok := requestMedia(r.Request)
	if !ok {
		return nil, 0, unsupportedMedia(r.Request, "application/xml or application/json")
	}
	data, err := io.ReadAll(http.MaxBytesReader(r.w, r.Body, r.srv.cfg.MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		var refused *auth.RefusedError
		switch {
		case errors.As(err, &mbe):
			return nil, 0, newError(http.StatusRequestEntityTooLarge, "kiln.tooLarge",
				"the request body is larger than %d bytes", r.srv.cfg.MaxBodyBytes)
		case errors.As(err, &refused):
			return nil, 0, err // not the body signed: 401, nothing decoded
		}
		return nil, 0, badRequest("body", "reading the request body failed: %v", err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, 0, badRequest("body.empty", "a %s body is required", what)
	}
	return data, m, nil
}

func decodeAs(data []byte, m mediaType, v uforge.Root) error {
	var err error
	if m == mediaJSON {
		err = uforge.DecodeJSON(bytes.NewReader(data), v)
	} else {
		err = uforge.DecodeXML(bytes.NewReader(data), v)
	}
	if err != nil {
		return badRequest("body.invalid", "invalid %s body: %v", v.RootName(), err)
	}
	return nil
}

// decodeProfile reads an OS profile body sent as <distribProfile> (the
// documented form) or as <linuxProfile>.
func (r *request) decodeProfile(v *uforge.LinuxProfile) error {
	data, m, err := r.body("distribProfile")
	if err != nil {
		return err
	}
	var dp uforge.OSProfile
	first := decodeAs(data, m, &dp)
	if first == nil {
		*v = dp.LinuxProfile
		return nil
	}
	if decodeAs(data, m, v) == nil {
		return nil
	}
	return first
}

// id parses a numeric path parameter.
func (r *request) id(name string) (int64, error) {
	v := r.PathValue(name)
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0, badRequest("id", "%s: %q is not an id (a positive number)", name, v)
	}
	return n, nil
}

// boolParam parses an optional boolean query parameter.
func (r *request) boolParam(name string) (bool, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, badRequest("param", "query parameter %s: %q is not true or false", name, v)
	}
	return b, nil
}
