package uploadtest

import (
	"archive/tar"
	"encoding"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"os"
	"strconv"
)

// ReceivedHeader is the protocol's resume header (upload.ReceivedHeader; not
// imported, so the fake is written from the protocol, not from the client).
const ReceivedHeader = "X-Kiln-Overlay-Received"

// Fault is what the fake server does to one overlay request.
type Fault int

const (
	NoFault Fault = iota
	// Unavailable answers 503 with a uforgeError; nothing is stored.
	Unavailable
	// DropRequest closes the connection while the body is read; nothing is stored.
	DropRequest
	// DropAnswer handles the request (the chunk is stored, the overlay
	// completed if asked), then closes the connection without an answer.
	DropAnswer
	// CancelScan cancels the scan, as a user would, before the request.
	CancelScan
	// StoreOnly stores the chunk, then closes the connection without
	// completing the overlay even if asked (a server that died in between).
	StoreOnly
)

// overlay serves POST and HEAD …/scans/{sid}/overlay.
func (s *Server) overlay(w http.ResponseWriter, r *http.Request, siid, sid int64) {
	sc := s.scan(siid, sid)
	if sc == nil {
		s.fail(w, r, http.StatusNotFound, "kiln.notFound", "no such scan")
		return
	}
	s.mu.Lock()
	s.overlayN++
	n := s.overlayN
	s.mu.Unlock()
	fault := NoFault
	if s.Fault != nil {
		fault = s.Fault(n, r)
	}
	switch fault {
	case Unavailable:
		s.fail(w, r, http.StatusServiceUnavailable, "kiln.unavailable", "the server is restarting")
		return
	case DropRequest:
		_, _ = io.CopyN(io.Discard, r.Body, 1000)
		s.hangUp(w)
		return
	case CancelScan:
		sc.Cancel()
	}

	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.state != "open" {
		id := s.TerminalID
		if id == "" {
			id = "scan.terminal"
		}
		s.fail(w, r, http.StatusConflict, id, "the scan is "+sc.state+": "+sc.message)
		return
	}
	if r.Method == http.MethodHead {
		w.Header().Set(ReceivedHeader, strconv.FormatInt(sc.received, 10))
		w.WriteHeader(http.StatusOK)
		return
	}
	sc.posts++
	if msg := s.storeChunk(w, r, sc); msg != "" {
		return
	}
	if fault == StoreOnly {
		s.hangUp(w)
		return
	}
	q := r.URL.Query()
	if q.Get("complete") == "true" {
		if err := s.complete(sc, q.Get("size"), q.Get("sha256")); err != nil {
			sc.state, sc.message = "failed", err.Error()
			s.fail(w, r, http.StatusBadRequest, "kiln.badRequest.overlay", err.Error())
			return
		}
		sc.state = "complete"
	}
	if fault == DropAnswer {
		s.hangUp(w)
		return
	}
	w.WriteHeader(http.StatusCreated)
}

// storeChunk checks the offset and CRC and appends the body, streaming (the
// fake must not hold chunks either: the memory test measures the whole
// process). It answers and returns a non-empty string when the chunk is refused.
func (s *Server) storeChunk(w http.ResponseWriter, r *http.Request, sc *Scan) string {
	q := r.URL.Query()
	off, err := strconv.ParseInt(q.Get("offset"), 10, 64)
	if err != nil || len(q.Get("crc")) != 8 {
		s.fail(w, r, http.StatusBadRequest, "kiln.badRequest.query", "offset and crc are required")
		return "bad query"
	}
	if r.Header.Get("Content-Type") != "application/octet-stream" {
		s.fail(w, r, http.StatusUnsupportedMediaType, "kiln.unsupportedMediaType", "want application/octet-stream")
		return "media type"
	}
	if off != sc.received {
		w.Header().Set(ReceivedHeader, strconv.FormatInt(sc.received, 10))
		s.fail(w, r, http.StatusConflict, "kiln.conflict.offset", fmt.Sprintf("offset %d, the server has %d bytes", off, sc.received))
		return "offset"
	}
	saved, _ := sc.sha.(encoding.BinaryMarshaler).MarshalBinary()
	rollback := func() {
		_ = sc.sha.(encoding.BinaryUnmarshaler).UnmarshalBinary(saved)
		if !s.Discard {
			_ = os.Truncate(s.overlayFile(sc.ID), sc.received)
		}
	}
	out := io.Discard
	if !s.Discard {
		f, err := os.OpenFile(s.overlayFile(sc.ID), os.O_WRONLY|os.O_CREATE, 0o644)
		if err != nil {
			s.t.Errorf("fake server: %v", err)
			return "internal"
		}
		defer f.Close()
		if _, err := f.Seek(off, io.SeekStart); err != nil {
			s.t.Errorf("fake server: %v", err)
			return "internal"
		}
		out = f
	}
	crc := crc32.NewIEEE()
	n, err := io.Copy(io.MultiWriter(crc, sc.sha, out), r.Body)
	if err != nil {
		rollback() // the client went away mid-chunk
		return "body"
	}
	if fmt.Sprintf("%08x", crc.Sum32()) != q.Get("crc") {
		rollback()
		s.fail(w, r, http.StatusBadRequest, "kiln.badRequest.crc", "the chunk's CRC does not match")
		return "crc"
	}
	sc.received += n
	sc.maxChunk = max(sc.maxChunk, int(n))
	return ""
}

// complete checks the whole overlay: declared size and SHA-256, and (when
// stored) that it reads as a tar archive to the end.
func (s *Server) complete(sc *Scan, size, sum string) error {
	if size != strconv.FormatInt(sc.received, 10) {
		return fmt.Errorf("declared size %s, received %d bytes", size, sc.received)
	}
	if got := hex.EncodeToString(sc.sha.Sum(nil)); sum != got {
		return fmt.Errorf("declared sha256 %s, received %s", sum, got)
	}
	if s.Discard {
		return nil
	}
	f, err := os.Open(s.overlayFile(sc.ID))
	if errors.Is(err, os.ErrNotExist) && sc.received == 0 {
		return errors.New("the overlay is empty: not a tar archive")
	}
	if err != nil {
		return err
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		_, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("the overlay is not a tar archive: %w", err)
		}
		if _, err := io.Copy(io.Discard, tr); err != nil {
			return fmt.Errorf("the overlay is not a tar archive: %w", err)
		}
	}
	return nil
}

// hangUp closes the connection without an answer.
func (s *Server) hangUp(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		s.t.Errorf("fake server: hijack: %v", err)
		return
	}
	conn.Close()
}
