package main

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/kilnhq/kiln/internal/api"
)

// serverTLS loads --tls-cert and --tls-key: the TLS configuration kiln serve
// serves HTTPS with, or nil for plain HTTP when neither is given. The files
// are read once, at start, so that a bad pair stops the start rather than the
// first handshake.
func (t tlsFlags) serverTLS() (*tls.Config, error) {
	if (t.tlsCert == "") != (t.tlsKey == "") {
		return nil, errors.New("--tls-cert and --tls-key go together: give both to serve HTTPS")
	}
	if t.tlsCert == "" {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(t.tlsCert, t.tlsKey)
	if err != nil {
		return nil, fmt.Errorf("--tls-cert %s, --tls-key %s: %w", t.tlsCert, t.tlsKey, err)
	}
	// TLS 1.0 and 1.1 are deprecated (RFC 8996); every client of this API
	// (hammr's Python, curl, Go) speaks 1.2.
	return &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}, nil
}

// checkPlainHTTP refuses to serve plain HTTP on addr (the address actually
// bound, so that a host name counts as what it resolved to) unless it is a
// loopback address or --insecure-http allows it.
func (t tlsFlags) checkPlainHTTP(addr string) error {
	if t.insecureHTTP || isLoopback(addr) {
		return nil
	}
	return fmt.Errorf("refusing to serve plain HTTP on %s, which is not a loopback address: passwords and API keys "+
		"would cross the network in clear text; give --tls-cert and --tls-key to serve HTTPS, "+
		"or --insecure-http to serve plain HTTP anyway (behind a TLS proxy, for instance)", addr)
}

// isLoopback reports whether the host of hostport ("host:port", or a bare
// host) is localhost or a loopback address (127.0.0.0/8, ::1). An empty host
// or an unspecified address (0.0.0.0, ::) listens on every interface.
func isLoopback(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// defaultPublicURL is --public-url when it is not given: the bound address
// under the API's base path, https when serving TLS.
func defaultPublicURL(addr net.Addr, https bool) string {
	scheme := "http"
	if https {
		scheme = "https"
	}
	return scheme + "://" + addr.String() + api.BasePath
}

// listenTransport listens on addr for kiln serve and returns the TLS
// configuration to serve with (nil: plain HTTP, which checkPlainHTTP allowed).
func (t tlsFlags) listenTransport(addr string) (net.Listener, *tls.Config, error) {
	cfg, err := t.serverTLS()
	if err != nil {
		return nil, nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("listen: %w", err)
	}
	if cfg == nil {
		if err := t.checkPlainHTTP(ln.Addr().String()); err != nil {
			ln.Close()
			return nil, nil, err
		}
	}
	return ln, cfg, nil
}

// serveOn serves srv on ln: HTTPS with cfg when it is set (its certificates
// are loaded already, so no file names), plain HTTP otherwise.
func serveOn(srv *http.Server, ln net.Listener, cfg *tls.Config) error {
	if cfg == nil {
		return srv.Serve(ln)
	}
	srv.TLSConfig = cfg
	return srv.ServeTLS(ln, "", "")
}
