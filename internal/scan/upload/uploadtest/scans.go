package uploadtest

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"net/http"
	"strconv"
	"sync"

	"github.com/kilnhq/kiln/internal/uforge"
)

// Scan is a scan on the fake server.
type Scan struct {
	ID, InstanceID int64
	Report         []byte // the report body as received

	mu       sync.Mutex // serializes the overlay requests, as a real server must
	received int64
	sha      hash.Hash
	state    string // open, complete, cancelled, failed
	message  string
	posts    int
	maxChunk int
}

// State returns the scan's state (open, complete, cancelled, failed), the
// overlay bytes stored, the server's message, and the overlay POSTs and largest
// chunk seen.
func (sc *Scan) State() (state string, received int64, message string, posts, maxChunk int) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return sc.state, sc.received, sc.message, sc.posts, sc.maxChunk
}

// Cancel cancels the scan, as DELETE …/status would.
func (sc *Scan) Cancel() {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	sc.state, sc.message = "cancelled", "cancelled by the user"
}

func (sc *Scan) wire(uri string) uforge.Scan {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	st := &uforge.OpStatus{Complete: uforge.Bool(sc.state == "complete"), Cancelled: uforge.Bool(sc.state == "cancelled"),
		Error: uforge.Bool(sc.state == "failed"), Percentage: uforge.Int(0)}
	if sc.state == "failed" {
		st.ErrorMessage = uforge.Str(sc.message)
	}
	if sc.state == "complete" {
		st.Percentage = uforge.Int(100)
	}
	return uforge.Scan{ScanSummary: uforge.ScanSummary{
		Object: uforge.Object{DBID: uforge.Int64(sc.ID)}, Name: uforge.Str("scan " + strconv.FormatInt(sc.ID, 10)),
		Status: st, URI: uforge.Str(uri), OverlayURI: uforge.Str(uri + "/overlay"),
	}}
}

func (s *Server) instanceURI(id int64) string {
	return "users/" + s.User + "/scannedinstances/" + strconv.FormatInt(id, 10)
}

func (s *Server) wireInstance(in *instance, withScans bool) uforge.ScannedInstance {
	uri := s.instanceURI(in.id)
	si := uforge.ScannedInstance{Object: uforge.Object{DBID: uforge.Int64(in.id)}, Name: uforge.Str(in.name),
		Distribution: in.dist, OverlayIncluded: uforge.Bool(in.overlay), URI: uforge.Str(uri), ScansURI: uforge.Str(uri + "/scans")}
	if withScans {
		si.Scans = []uforge.Scan{}
		for _, sc := range s.scans {
			if sc.InstanceID == in.id {
				si.Scans = append(si.Scans, sc.wire(uri+"/scans/"+strconv.FormatInt(sc.ID, 10)))
			}
		}
	}
	return si
}

func (s *Server) listInstances(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	list := &uforge.ScannedInstances{ScannedInstances: []uforge.ScannedInstance{}}
	for _, in := range s.instances {
		if name := q.Get("name"); name == "" || name == in.name {
			list.ScannedInstances = append(list.ScannedInstances, s.wireInstance(in, q.Get("includeScans") == "true"))
		}
	}
	list.Total = uforge.Int64(int64(len(list.ScannedInstances)))
	s.mu.Unlock()
	s.answer(w, r, http.StatusOK, list)
}

func (s *Server) createInstance(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Content-Type") != "application/json" {
		s.fail(w, r, http.StatusUnsupportedMediaType, "kiln.unsupportedMediaType", "want application/json")
		return
	}
	var si uforge.ScannedInstance
	if err := uforge.DecodeJSON(r.Body, &si); err != nil {
		s.fail(w, r, http.StatusBadRequest, "kiln.badRequest.body", err.Error())
		return
	}
	if uforge.StrValue(si.Name) == "" || si.Distribution == nil {
		s.fail(w, r, http.StatusBadRequest, "kiln.badRequest.scannedInstance", "name and distribution are required")
		return
	}
	s.mu.Lock()
	s.nextID++
	in := &instance{id: s.nextID, name: *si.Name, overlay: uforge.BoolValue(si.OverlayIncluded), dist: si.Distribution}
	s.instances = append(s.instances, in)
	out := s.wireInstance(in, true)
	s.mu.Unlock()
	s.answer(w, r, http.StatusCreated, &out)
}

func (s *Server) findInstance(id int64) *instance {
	for _, in := range s.instances {
		if in.id == id {
			return in
		}
	}
	return nil
}

func (s *Server) createScan(w http.ResponseWriter, r *http.Request, siid int64) {
	q := r.URL.Query()
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	switch {
	case err != nil:
		s.fail(w, r, http.StatusBadRequest, "kiln.badRequest.body", err.Error())
		return
	case r.Header.Get("Content-Type") != "application/octet-stream":
		s.fail(w, r, http.StatusUnsupportedMediaType, "kiln.unsupportedMediaType", "want application/octet-stream")
		return
	case q.Get("crc") != fmt.Sprintf("%08x", crc32.ChecksumIEEE(body)):
		s.fail(w, r, http.StatusBadRequest, "kiln.badRequest.crc", "the report's CRC does not match")
		return
	case q.Get("reportFileName") == "":
		s.fail(w, r, http.StatusBadRequest, "kiln.badRequest.reportFileName", "reportFileName is required")
		return
	}
	var report struct {
		Distribution struct{ ID string } `json:"distribution"`
	}
	if err := json.Unmarshal(body, &report); err != nil || report.Distribution.ID == "" {
		s.fail(w, r, http.StatusBadRequest, "kiln.badRequest.report", fmt.Sprintf("not a scan report: %v", err))
		return
	}
	s.mu.Lock()
	if s.findInstance(siid) == nil {
		s.mu.Unlock()
		s.fail(w, r, http.StatusNotFound, "kiln.notFound", "no such scanned instance")
		return
	}
	s.nextID++
	sc := &Scan{ID: s.nextID, InstanceID: siid, Report: body, sha: sha256.New(), state: "open"}
	s.scans[sc.ID] = sc
	s.mu.Unlock()
	out := sc.wire(s.instanceURI(siid) + "/scans/" + strconv.FormatInt(sc.ID, 10))
	s.answer(w, r, http.StatusCreated, &out)
}

func (s *Server) scan(siid, sid int64) *Scan {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sc := s.scans[sid]; sc != nil && sc.InstanceID == siid {
		return sc
	}
	return nil
}

func (s *Server) getScan(w http.ResponseWriter, r *http.Request, siid, sid int64) {
	sc := s.scan(siid, sid)
	if sc == nil {
		s.fail(w, r, http.StatusNotFound, "kiln.notFound", "no such scan")
		return
	}
	out := sc.wire(s.instanceURI(siid) + "/scans/" + strconv.FormatInt(sid, 10))
	s.answer(w, r, http.StatusOK, &out)
}
