package api

import (
	"net/http/httptest"
	"testing"
)

// X-Forwarded-For counts only when the operator says a proxy sets it, and
// then only its last address: the earlier ones are the client's to invent.
func TestClientAddr(t *testing.T) {
	for _, tc := range []struct {
		trust  bool
		remote string
		fwd    []string
		want   string
	}{
		{false, "192.0.2.1:5000", nil, "192.0.2.1"},
		{false, "192.0.2.1:5000", []string{"10.9.9.9"}, "192.0.2.1"},
		{false, "[2001:db8::1]:443", nil, "2001:db8::1"},
		{true, "127.0.0.1:5000", []string{"10.9.9.9"}, "10.9.9.9"},
		{true, "127.0.0.1:5000", []string{"6.6.6.6, 10.9.9.9"}, "10.9.9.9"},
		{true, "127.0.0.1:5000", []string{"6.6.6.6", "10.9.9.9 , 10.1.1.1"}, "10.1.1.1"},
		{true, "127.0.0.1:5000", []string{"not an address"}, "127.0.0.1"},
		{true, "127.0.0.1:5000", nil, "127.0.0.1"},
		{false, "@", nil, "invalid IP"},
	} {
		s := &Server{cfg: Config{TrustForwardedFor: tc.trust}}
		r := httptest.NewRequest("GET", "/api/status", nil)
		r.RemoteAddr = tc.remote
		for _, v := range tc.fwd {
			r.Header.Add("X-Forwarded-For", v)
		}
		if got := s.clientAddr(r); got.String() != tc.want {
			t.Errorf("trust %v, peer %s, forwarded %q: %s, want %s", tc.trust, tc.remote, tc.fwd, got, tc.want)
		}
	}
}
