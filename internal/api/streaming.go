package api

import (
	"io"
	"net/http"
	"time"
)

// The HTTP server bounds every request with read and write timeouts (kiln
// serve --read-timeout, --write-timeout), so that a client cannot hold a
// connection by sending or reading slowly. An overlay upload or an image
// download may rightly take hours, so their routes lift those deadlines and
// bound stalls instead: each byte that moves pushes the deadline StallTimeout
// further, and a transfer that stops moving is cut off.

// streaming lifts the server's deadlines for route h, which moves a large
// body, and keeps rolling deadlines on its reads and writes instead.
func (s *Server) streaming(h func(*request) (*response, error)) func(*request) (*response, error) {
	return func(r *request) (*response, error) {
		r.w, r.Request = s.rolling(r.w, r.Request)
		return h(r)
	}
}

// rolling returns w and r with rolling deadlines in place of the server's.
func (s *Server) rolling(w http.ResponseWriter, r *http.Request) (http.ResponseWriter, *http.Request) {
	rc := http.NewResponseController(w)
	stall := s.cfg.StallTimeout
	write := &deadline{set: rc.SetWriteDeadline, stall: stall}
	if r.Body != nil && r.Body != http.NoBody {
		// While the body arrives the answer waits: both deadlines move.
		r2 := *r
		r2.Body = &stallReader{ReadCloser: r.Body, read: deadline{set: rc.SetReadDeadline, stall: stall}, write: write}
		r = &r2
	}
	write.extend()
	return &stallWriter{ResponseWriter: w, write: write}, r
}

// deadline is a rolling connection deadline. Setting it costs a little, so
// it moves at most once a second (or a quarter of the stall bound, when that
// is shorter): a transfer that keeps moving is never cut off, and one that
// stops is cut off at most that much later than the bound.
type deadline struct {
	set   func(time.Time) error
	stall time.Duration
	last  time.Time
}

func (d *deadline) extend() {
	now := time.Now()
	if now.Sub(d.last) < min(time.Second, d.stall/4) {
		return
	}
	d.last = now
	// An error means the writer cannot take deadlines (a test recorder):
	// the transfer then simply has none to move.
	_ = d.set(now.Add(d.stall))
}

// stallReader moves the deadlines before every read of the body.
type stallReader struct {
	io.ReadCloser
	read  deadline
	write *deadline
}

func (r *stallReader) Read(p []byte) (int, error) {
	r.read.extend()
	r.write.extend()
	return r.ReadCloser.Read(p)
}

// stallWriter moves the write deadline before every write of the answer.
type stallWriter struct {
	http.ResponseWriter
	write *deadline
}

func (w *stallWriter) Write(p []byte) (int, error) {
	w.write.extend()
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *stallWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
