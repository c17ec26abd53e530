package api

import (
	"net/http/httptest"
	"testing"
)

func TestNegotiate(t *testing.T) {
	cases := map[string]mediaType{
		"":                 mediaXML,
		"*/*":              mediaXML,
		"application/json": mediaJSON,
		"application/xml":  mediaXML,
		"text/html":        mediaXML,
		"application/xml;q=0.5, application/json":       mediaJSON,
		"application/json;q=0.2, application/xml;q=0.9": mediaXML,
		"application/json;q=0":                          mediaXML,
		"Application/JSON":                              mediaJSON,
	}
	for accept, want := range cases {
		if got := negotiate(accept); got != want {
			t.Errorf("negotiate(%q) = %v, want %v", accept, got, want)
		}
	}
}

// checkBodyType lets through what no web page can make a browser send
// cross-site without asking (and bodiless requests), and refuses the rest.
func TestCheckBodyType(t *testing.T) {
	for _, tc := range []struct {
		method, ct string
		length     int64 // -1: chunked
		ok         bool
	}{
		{"GET", "text/plain", 5, true},
		{"HEAD", "", -1, true},
		{"DELETE", "", 0, true},
		{"POST", "", 0, true}, // regenerate: no body
		{"POST", "", 12, false},
		{"POST", "", -1, false},
		{"POST", "application/x-www-form-urlencoded", 0, false},
		{"POST", "multipart/form-data; boundary=b", 40, false},
		{"PUT", "text/plain;charset=UTF-8", 3, false},
		{"POST", "application/octet-stream", 100, true}, // raw uploads
		{"PUT", "application/xml; charset=utf-8", 3, true},
		{"POST", "application/json", 2, true},
		{"POST", "not a type", 2, false},
	} {
		r := httptest.NewRequest(tc.method, "/api/users", nil)
		r.ContentLength = tc.length
		if tc.ct != "" {
			r.Header.Set("Content-Type", tc.ct)
		}
		if err := checkBodyType(r); (err == nil) != tc.ok {
			t.Errorf("%s %q (%d bytes): err = %v, want ok %v", tc.method, tc.ct, tc.length, err, tc.ok)
		}
	}
}
