package api

import (
	"net/http"
	"strconv"

	"github.com/kilnhq/kiln/internal/service"
	"github.com/kilnhq/kiln/internal/uforge"
)

// OverlayReceivedHeader carries how many overlay bytes the server holds: the
// resume point of an interrupted upload (answered on HEAD, on every chunk and
// on a 409 for a chunk at the wrong offset).
const OverlayReceivedHeader = "X-Kiln-Overlay-Received"

func (r *request) siid() (int64, error) { return r.id("siid") }

func (r *request) scanIDs() (siid, sid int64, err error) {
	if siid, err = r.siid(); err != nil {
		return 0, 0, err
	}
	sid, err = r.id("sid")
	return siid, sid, err
}

func (r *request) scanImageIDs() (siid, sid, itid int64, err error) {
	if siid, sid, err = r.scanIDs(); err != nil {
		return 0, 0, 0, err
	}
	itid, err = r.id("itid")
	return siid, sid, itid, err
}

func (s *Server) createScannedInstance(r *request) (*response, error) {
	var in uforge.ScannedInstance
	if err := r.decode(&in); err != nil {
		return nil, err
	}
	si, err := s.scans.CreateScannedInstance(r.Context(), r.caller, r.PathValue("uid"), &in)
	if err != nil {
		return nil, err
	}
	resp := created(si)
	resp.location = *si.URI
	return resp, nil
}

func (s *Server) listScannedInstances(r *request) (*response, error) {
	include, err := r.boolParam("includeScans")
	if err != nil {
		return nil, err
	}
	return answer(s.scans.ListScannedInstances(r.Context(), r.caller, r.PathValue("uid"), r.URL.Query().Get("name"), include))
}

func (s *Server) getScannedInstance(r *request) (*response, error) {
	siid, err := r.siid()
	if err != nil {
		return nil, err
	}
	include, err := r.boolParam("includeScans")
	if err != nil {
		return nil, err
	}
	return answer(s.scans.GetScannedInstance(r.Context(), r.caller, r.PathValue("uid"), siid, include))
}

func (s *Server) deleteScannedInstance(r *request) (*response, error) {
	siid, err := r.siid()
	if err != nil {
		return nil, err
	}
	return done(s.scans.DeleteScannedInstance(r.Context(), r.caller, r.PathValue("uid"), siid))
}

func (s *Server) deleteScannedInstances(r *request) (*response, error) {
	return done(s.scans.DeleteScannedInstances(r.Context(), r.caller, r.PathValue("uid")))
}

// createScan takes the agent's report as the raw body (scan_create).
func (s *Server) createScan(r *request) (*response, error) {
	siid, err := r.siid()
	if err != nil {
		return nil, err
	}
	sc, err := s.scans.CreateScan(r.Context(), r.caller, r.PathValue("uid"), siid, r.Body, r.URL.Query().Get("crc"))
	if err != nil {
		return nil, err
	}
	resp := created(sc)
	resp.location = *sc.URI
	return resp, nil
}

func (s *Server) listScans(r *request) (*response, error) {
	siid, err := r.siid()
	if err != nil {
		return nil, err
	}
	return answer(s.scans.ListScans(r.Context(), r.caller, r.PathValue("uid"), siid))
}

func (s *Server) userScans(r *request) (*response, error) {
	return answer(s.scans.UserScans(r.Context(), r.caller, r.PathValue("uid")))
}

func (s *Server) getScan(r *request) (*response, error) {
	siid, sid, err := r.scanIDs()
	if err != nil {
		return nil, err
	}
	pkgs, err := r.boolParam("pkgs")
	if err != nil {
		return nil, err
	}
	return answer(s.scans.GetScan(r.Context(), r.caller, r.PathValue("uid"), siid, sid, pkgs))
}

func (s *Server) updateScan(r *request) (*response, error) {
	siid, sid, err := r.scanIDs()
	if err != nil {
		return nil, err
	}
	var in uforge.Scan
	if err := r.decode(&in); err != nil {
		return nil, err
	}
	return answer(s.scans.UpdateScan(r.Context(), r.caller, r.PathValue("uid"), siid, sid, &in))
}

func (s *Server) deleteScan(r *request) (*response, error) {
	siid, sid, err := r.scanIDs()
	if err != nil {
		return nil, err
	}
	return done(s.scans.DeleteScan(r.Context(), r.caller, r.PathValue("uid"), siid, sid))
}

func (s *Server) deleteInstanceScans(r *request) (*response, error) {
	siid, err := r.siid()
	if err != nil {
		return nil, err
	}
	return done(s.scans.DeleteInstanceScans(r.Context(), r.caller, r.PathValue("uid"), siid))
}

func (s *Server) cancelScan(r *request) (*response, error) {
	siid, sid, err := r.scanIDs()
	if err != nil {
		return nil, err
	}
	return answer(s.scans.CancelScan(r.Context(), r.caller, r.PathValue("uid"), siid, sid))
}

// uploadOverlay takes one chunk of the overlay as the raw body: ?offset=&crc=
// (and &complete=true&size=&sha256= on the last one). Without offset the body
// is the whole archive (scanOverlay_upload).
func (s *Server) uploadOverlay(r *request) (*response, error) {
	siid, sid, err := r.scanIDs()
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	c := service.OverlayChunk{Offset: -1, CRC: q.Get("crc"), SHA256: q.Get("sha256")}
	if v := q.Get("offset"); v != "" {
		if c.Offset, err = strconv.ParseInt(v, 10, 64); err != nil || c.Offset < 0 {
			return nil, badRequest("kiln.badParameter", "offset: %q is not a byte offset", v)
		}
	}
	if v := q.Get("size"); v != "" {
		if c.Size, err = strconv.ParseInt(v, 10, 64); err != nil || c.Size < 0 {
			return nil, badRequest("kiln.badParameter", "size: %q is not a size", v)
		}
	}
	if c.Complete, err = r.boolParam("complete"); err != nil {
		return nil, err
	}
	held, err := s.scans.ReceiveOverlay(r.Context(), r.caller, r.PathValue("uid"), siid, sid, c, r.Body)
	r.w.Header().Set(OverlayReceivedHeader, strconv.FormatInt(held, 10))
	if err != nil {
		return nil, err
	}
	return &response{status: http.StatusCreated}, nil
}

// overlayReceived answers HEAD on the overlay with the resume point.
func (s *Server) overlayReceived(r *request) (*response, error) {
	siid, sid, err := r.scanIDs()
	if err != nil {
		return nil, err
	}
	held, err := s.scans.OverlayReceived(r.Context(), r.caller, r.PathValue("uid"), siid, sid)
	if err != nil {
		return nil, err
	}
	r.w.Header().Set(OverlayReceivedHeader, strconv.FormatInt(held, 10))
	r.w.WriteHeader(http.StatusOK)
	return &response{written: true}, nil
}

func (s *Server) downloadOverlay(r *request) (*response, error) {
	siid, sid, err := r.scanIDs()
	if err != nil {
		return nil, err
	}
	a, err := s.scans.OpenOverlay(r.Context(), r.caller, r.PathValue("uid"), siid, sid)
	if err != nil {
		return nil, err
	}
	defer a.Close()
	serveArtifact(r.w, r.Request, &service.Download{Artifact: a, FileName: "overlay.tar"})
	return &response{written: true}, nil
}

func (s *Server) scanInstallProfile(r *request) (*response, error) {
	siid, sid, err := r.scanIDs()
	if err != nil {
		return nil, err
	}
	return answer(s.scans.ScanInstallProfile(r.Context(), r.caller, r.PathValue("uid"), siid, sid))
}

func (s *Server) scanPackages(r *request) (*response, error) {
	siid, sid, err := r.scanIDs()
	if err != nil {
		return nil, err
	}
	return answer(s.scans.ScanPackages(r.Context(), r.caller, r.PathValue("uid"), siid, sid))
}

func (s *Server) scanFiles(r *request) (*response, error) {
	siid, sid, err := r.scanIDs()
	if err != nil {
		return nil, err
	}
	oneLevel := r.URL.Query().Get("rellevel") == "1"
	return answer(s.scans.ScanFiles(r.Context(), r.caller, r.PathValue("uid"), siid, sid, r.URL.Query().Get("dir"), oneLevel))
}

func (s *Server) generateScanImage(r *request) (*response, error) {
	siid, sid, err := r.scanIDs()
	if err != nil {
		return nil, err
	}
	var in uforge.Image
	if err := r.decode(&in); err != nil {
		return nil, err
	}
	img, err := s.scans.GenerateScanImage(r.Context(), r.caller, r.PathValue("uid"), siid, sid, &in)
	if err != nil {
		return nil, err
	}
	resp := created(img)
	resp.location = *img.URI
	return resp, nil
}

// regenerateScanImage has no body: the image's stored plan is executed again.
// reproduce is accepted for symmetry with appliance images: a scan never
// changes, so both ways are the same.
func (s *Server) regenerateScanImage(r *request) (*response, error) {
	siid, sid, itid, err := r.scanImageIDs()
	if err != nil {
		return nil, err
	}
	force, err := r.boolParam("force")
	if err != nil {
		return nil, err
	}
	if _, err := r.boolParam("reproduce"); err != nil {
		return nil, err
	}
	img, err := s.scans.RegenerateScanImage(r.Context(), r.caller, r.PathValue("uid"), siid, sid, itid, force)
	if err != nil {
		return nil, err
	}
	resp := created(img)
	resp.location = *img.URI
	return resp, nil
}

func (s *Server) listScanImages(r *request) (*response, error) {
	siid, sid, err := r.scanIDs()
	if err != nil {
		return nil, err
	}
	q, err := r.query()
	if err != nil {
		return nil, err
	}
	return answer(s.scans.ListScanImages(r.Context(), r.caller, r.PathValue("uid"), siid, sid, q))
}

func (s *Server) getScanImage(r *request) (*response, error) {
	siid, sid, itid, err := r.scanImageIDs()
	if err != nil {
		return nil, err
	}
	return answer(s.scans.GetScanImage(r.Context(), r.caller, r.PathValue("uid"), siid, sid, itid))
}

func (s *Server) getScanImageStatus(r *request) (*response, error) {
	siid, sid, itid, err := r.scanImageIDs()
	if err != nil {
		return nil, err
	}
	return answer(s.scans.ScanImageStatus(r.Context(), r.caller, r.PathValue("uid"), siid, sid, itid))
}

func (s *Server) cancelScanImage(r *request) (*response, error) {
	siid, sid, itid, err := r.scanImageIDs()
	if err != nil {
		return nil, err
	}
	return answer(s.scans.CancelScanImage(r.Context(), r.caller, r.PathValue("uid"), siid, sid, itid))
}

func (s *Server) deleteScanImage(r *request) (*response, error) {
	siid, sid, itid, err := r.scanImageIDs()
	if err != nil {
		return nil, err
	}
	return done(s.scans.DeleteScanImage(r.Context(), r.caller, r.PathValue("uid"), siid, sid, itid))
}

func (s *Server) downloadScanImage(r *request) (*response, error) {
	siid, sid, itid, err := r.scanImageIDs()
	if err != nil {
		return nil, err
	}
	d, err := s.scans.DownloadScanImage(r.Context(), r.PathValue("uid"), siid, sid, itid, r.URL.Query().Get("downloadId"))
	if err != nil {
		return nil, err
	}
	defer d.Close()
	serveArtifact(r.w, r.Request, d)
	return &response{written: true}, nil
}

// scanImageFidelity serves the fidelity report, a Kiln extension, in JSON
// whatever the Accept header: UForge has no type for it.
func (s *Server) scanImageFidelity(r *request) (*response, error) {
	siid, sid, itid, err := r.scanImageIDs()
	if err != nil {
		return nil, err
	}
	report, err := s.scans.ScanImageFidelity(r.Context(), r.caller, r.PathValue("uid"), siid, sid, itid)
	if err != nil {
		return nil, err
	}
	r.w.Header().Set("Content-Type", "application/json; charset=utf-8")
	r.w.WriteHeader(http.StatusOK)
	_, _ = r.w.Write(append(report, '\n'))
	return &response{written: true}, nil
}

// done ends a handler whose use case answers nothing: 204, or its error.
func done(err error) (*response, error) {
	if err != nil {
		return nil, err
	}
	return noContent(), nil
}
