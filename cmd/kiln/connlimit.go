package main

import (
	"log/slog"
	"net"
	"sync"
	"time"
)

// connLimit is a listener that keeps at most max connections open per
// client address: beyond it a new connection is closed as soon as it is
// accepted, before anything is read, so that one address cannot hold every
// file descriptor or goroutine of the server. Behind a reverse proxy every
// client shares the proxy's address: raise the limit there, or set 0.
type connLimit struct {
	net.Listener
	max int
	log *slog.Logger

	mu      sync.Mutex
	open    map[string]int
	refused time.Time // when a refusal was last logged
}

// limitConns wraps ln; max <= 0 returns ln unchanged.
func limitConns(ln net.Listener, max int, log *slog.Logger) net.Listener {
	if max <= 0 {
		return ln
	}
	return &connLimit{Listener: ln, max: max, log: log, open: map[string]int{}}
}

// Accept returns the next connection within its address's limit.
func (l *connLimit) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		host := remoteHost(c)
		if l.admit(host) {
			return &limitedConn{Conn: c, release: func() { l.release(host) }}, nil
		}
		_ = c.Close()
	}
}

func (l *connLimit) admit(host string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[host] >= l.max {
		// A flood would flood the log too: one line a minute says it goes on.
		if now := time.Now(); now.Sub(l.refused) > time.Minute {
			l.refused = now
			l.log.Warn("connection refused: too many from one address", "address", host, "open", l.open[host], "max", l.max)
		}
		return false
	}
	l.open[host]++
	return true
}

func (l *connLimit) release(host string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[host]--; l.open[host] <= 0 {
		delete(l.open, host)
	}
}

// remoteHost is the connection's client address without its port.
func remoteHost(c net.Conn) string {
	a := c.RemoteAddr().String()
	if host, _, err := net.SplitHostPort(a); err == nil {
		return host
	}
	return a
}

// limitedConn gives its slot back once, on the first Close.
type limitedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
