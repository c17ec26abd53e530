package api

import (
	"net/http"
	"net/netip"
	"strings"
)

// clientAddr is the address the login limits count a request against: the
// peer of the connection, or, with Config.TrustForwardedFor, the last address
// of X-Forwarded-For, the one the proxy in front appended (the earlier ones
// come from the client, which may write anything there). An address that
// cannot be read is the zero Addr, which all such requests share.
func (s *Server) clientAddr(r *http.Request) netip.Addr {
	if s.cfg.TrustForwardedFor {
		if fwd := r.Header.Values("X-Forwarded-For"); len(fwd) > 0 {
			last := fwd[len(fwd)-1]
			last = strings.TrimSpace(last[strings.LastIndexByte(last, ',')+1:])
			if a, err := netip.ParseAddr(last); err == nil {
				return a
			}
		}
	}
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr()
}
