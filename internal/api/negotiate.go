package api

import (
	"mime"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// mediaType is one of the two representations the API speaks.
type mediaType int

const (
	mediaXML mediaType = iota
	mediaJSON
)

func (m mediaType) contentType() string {
	if m == mediaJSON {
		return "application/json"
	}
	return "application/xml"
}

// negotiate picks the response representation from Accept. XML is the default
// (no Accept, */*, or only unknown types), as in UForge.
func negotiate(accept string) mediaType {
	if accept == "" {
		return mediaXML
	}
	type choice struct {
		m mediaType
		q float64
		i int
	}
	var choices []choice
	for i, part := range strings.Split(accept, ",") {
		fields := strings.Split(part, ";")
		typ := strings.ToLower(strings.TrimSpace(fields[0]))
		q := 1.0
		for _, p := range fields[1:] {
			k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
			if ok && strings.EqualFold(k, "q") {
				if f, err := strconv.ParseFloat(v, 64); err == nil {
					q = f
				}
			}
		}
		if q <= 0 {
			continue
		}
		switch {
		case typ == "application/json" || strings.HasSuffix(typ, "+json") || typ == "text/json":
			choices = append(choices, choice{mediaJSON, q, i})
		case typ == "application/xml" || typ == "text/xml" || strings.HasSuffix(typ, "+xml") || typ == "*/*" || typ == "application/*":
			choices = append(choices, choice{mediaXML, q, i})
		}
	}
	if len(choices) == 0 {
		return mediaXML
	}
	sort.SliceStable(choices, func(a, b int) bool { return choices[a].q > choices[b].q })
	return choices[0].m
}

// requestMedia tells how a request body is encoded, from Content-Type. ok is
// false for a type the API does not accept (415), and for none: a body is
// never guessed to be XML, or a cross-site form post would be read as one.
func requestMedia(r *http.Request) (m mediaType, ok bool) {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return 0, false
	}
	typ, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return 0, false
	}
	switch {
	case typ == "application/json" || strings.HasSuffix(typ, "+json") || typ == "text/json":
		return mediaJSON, true
	case typ == "application/xml" || typ == "text/xml" || strings.HasSuffix(typ, "+xml"):
		return mediaXML, true
	}
	return 0, false
}

// checkBodyType refuses, before authentication and before any handler, a
// request that changes something (any method but GET and HEAD) whose body a
// web page could have made a signed-in browser send: a body without
// Content-Type, or one of the types browsers send cross-site without asking
// the server first (forms, text/plain). Bodies the API decodes must then be
// XML or JSON (requestMedia); raw uploads carry application/octet-stream.
func checkBodyType(r *http.Request) error {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return nil
	}
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		if r.ContentLength == 0 {
			return nil // no body at all (DELETE, regenerate)
		}
		return unsupportedMedia(r, "a Content-Type")
	}
	typ, _, err := mime.ParseMediaType(ct)
	switch {
	case err != nil:
		return unsupportedMedia(r, "a valid Content-Type")
	case typ == "application/x-www-form-urlencoded" || typ == "multipart/form-data" || typ == "text/plain":
		return unsupportedMedia(r, "application/xml, application/json or, for uploads, application/octet-stream")
	}
	return nil
}

// unsupportedMedia is the 415 of a request body whose Content-Type is not want.
func unsupportedMedia(r *http.Request, want string) *Error {
	return newError(http.StatusUnsupportedMediaType, "kiln.unsupportedMediaType",
		"Content-Type %q is not accepted for this request body: send %s", r.Header.Get("Content-Type"), want)
}
