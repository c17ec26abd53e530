package api

import "testing"

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
