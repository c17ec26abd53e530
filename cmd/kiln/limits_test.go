package main

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

// startLimitedServer serves a trivial handler as kiln serve does: the server
// newHTTPServer makes, on a listener limitConns wraps.
func startLimitedServer(t *testing.T, l limitFlags) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := l.newHTTPServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = io.WriteString(w, "ok")
	}))
	go func() { _ = srv.Serve(limitConns(ln, l.maxConnsPerIP, slog.New(slog.DiscardHandler))) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String()
}

// defaults are the flags' defaults, as kiln serve parses them.
func defaults(t *testing.T) limitFlags {
	t.Helper()
	var l limitFlags
	f := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	l.register(f)
	if err := f.Parse(nil); err != nil {
		t.Fatal(err)
	}
	return l
}

// closedWithin reports whether the server closes c within d.
func closedWithin(c net.Conn, d time.Duration) bool {
	_ = c.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, c)
	return err == nil // EOF: closed by the server; a timeout is an error
}

// dial opens a connection to addr, closed when the test ends.
func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// get sends one keep-alive request on c and reads its answer.
func get(c net.Conn) error {
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: kiln\r\n\r\n"); err != nil {
		return err
	}
	_ = c.SetReadDeadline(time.Now().Add(3 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Close {
		return fmt.Errorf("status %d, close %v", resp.StatusCode, resp.Close)
	}
	return nil
}

func TestIdleConnectionsClosed(t *testing.T) {
	t.Parallel()
	l := defaults(t)
	if l.idleTimeout <= 0 || l.readTimeout <= 0 || l.writeTimeout <= 0 {
		t.Fatalf("default timeouts idle %v, read %v, write %v: every one must be set", l.idleTimeout, l.readTimeout, l.writeTimeout)
	}
	l.idleTimeout = 200 * time.Millisecond
	c := dial(t, startLimitedServer(t, l))
	// One request on a keep-alive connection, then silence.
	if err := get(c); err != nil {
		t.Fatalf("first request: %v", err)
	}
	if !closedWithin(c, 3*time.Second) {
		t.Fatal("an idle keep-alive connection was still open 3 s after a 200 ms idle timeout")
	}
}

// TestSlowRequestCutOff: a client dribbling its headers or body cannot hold a
// connection past the read timeout.
func TestSlowRequestCutOff(t *testing.T) {
	t.Parallel()
	l := defaults(t)
	l.readTimeout = 300 * time.Millisecond
	c := dial(t, startLimitedServer(t, l))
	if _, err := io.WriteString(c, "POST / HTTP/1.1\r\nHost: kiln\r\nContent-Length: 1000\r\n\r\nabc"); err != nil {
		t.Fatal(err)
	}
	if !closedWithin(c, 3*time.Second) {
		t.Fatal("a request body stalled for 3 s was still being waited for with a 300 ms read timeout")
	}
}

func TestConnectionsPerAddressCapped(t *testing.T) {
	t.Parallel()
	l := defaults(t)
	if l.maxConnsPerIP <= 0 {
		t.Fatalf("no default cap on connections per address (%d)", l.maxConnsPerIP)
	}
	l.maxConnsPerIP = 3
	addr := startLimitedServer(t, l)
	var open []net.Conn
	for i := range 3 {
		c := dial(t, addr)
		open = append(open, c)
		if err := get(c); err != nil {
			t.Fatalf("connection %d of 3: %v", i+1, err)
		}
	}
	if err := get(dial(t, addr)); err == nil {
		t.Fatal("a fourth connection from one address was served with a cap of 3")
	}
	// A slot comes back when a connection closes (once the server sees it).
	open[0].Close()
	deadline := time.Now().Add(3 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		err = get(c)
		c.Close()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no connection admitted after one of three closed: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
