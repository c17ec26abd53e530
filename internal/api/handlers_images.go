package api

import (
	"encoding/base64"
	"encoding/hex"
	"mime"
	"net/http"

	"github.com/kilnhq/kiln/internal/service"
	"github.com/kilnhq/kiln/internal/uforge"
)

func (r *request) imageIDs() (aid, itid int64, err error) {
	if aid, err = r.aid(); err != nil {
		return 0, 0, err
	}
	itid, err = r.id("itid")
	return aid, itid, err
}

func (s *Server) generateImage(r *request) (*response, error) {
	aid, err := r.aid()
	if err != nil {
		return nil, err
	}
	var in uforge.Image
	if err := r.decode(&in); err != nil {
		return nil, err
	}
	img, err := s.images.GenerateImage(r.Context(), r.caller, r.PathValue("uid"), aid, &in)
	if err != nil {
		return nil, err
	}
	resp := created(img)
	resp.location = *img.URI
	return resp, nil
}

// regenerateImage has no body: the stored request is re-used.
func (s *Server) regenerateImage(r *request) (*response, error) {
	aid, itid, err := r.imageIDs()
	if err != nil {
		return nil, err
	}
	force, err := r.boolParam("force")
	if err != nil {
		return nil, err
	}
	reproduce, err := r.boolParam("reproduce")
	if err != nil {
		return nil, err
	}
	img, err := s.images.RegenerateImage(r.Context(), r.caller, r.PathValue("uid"), aid, itid, force, reproduce)
	if err != nil {
		return nil, err
	}
	resp := created(img)
	resp.location = *img.URI
	return resp, nil
}

func (s *Server) getImage(r *request) (*response, error) {
	aid, itid, err := r.imageIDs()
	if err != nil {
		return nil, err
	}
	return answer(s.images.GetImage(r.Context(), r.caller, r.PathValue("uid"), aid, itid))
}

func (s *Server) listImages(r *request) (*response, error) {
	aid, err := r.aid()
	if err != nil {
		return nil, err
	}
	q, err := r.query()
	if err != nil {
		return nil, err
	}
	return answer(s.images.ListApplianceImages(r.Context(), r.caller, r.PathValue("uid"), aid, q))
}

func (s *Server) getImageStatus(r *request) (*response, error) {
	aid, itid, err := r.imageIDs()
	if err != nil {
		return nil, err
	}
	return answer(s.images.ImageStatus(r.Context(), r.caller, r.PathValue("uid"), aid, itid))
}

func (s *Server) listImageStatuses(r *request) (*response, error) {
	aid, err := r.aid()
	if err != nil {
		return nil, err
	}
	return answer(s.images.ApplianceImageStatuses(r.Context(), r.caller, r.PathValue("uid"), aid))
}

func (s *Server) cancelImage(r *request) (*response, error) {
	aid, itid, err := r.imageIDs()
	if err != nil {
		return nil, err
	}
	return answer(s.images.CancelImage(r.Context(), r.caller, r.PathValue("uid"), aid, itid))
}

func (s *Server) deleteImage(r *request) (*response, error) {
	aid, itid, err := r.imageIDs()
	if err != nil {
		return nil, err
	}
	if err := s.images.DeleteImage(r.Context(), r.caller, r.PathValue("uid"), aid, itid); err != nil {
		return nil, err
	}
	return noContent(), nil
}

func (s *Server) deleteImages(r *request) (*response, error) {
	aid, err := r.aid()
	if err != nil {
		return nil, err
	}
	if err := s.images.DeleteApplianceImages(r.Context(), r.caller, r.PathValue("uid"), aid); err != nil {
		return nil, err
	}
	return noContent(), nil
}

func (s *Server) imagePackages(r *request) (*response, error) {
	aid, itid, err := r.imageIDs()
	if err != nil {
		return nil, err
	}
	return answer(s.images.ImagePackages(r.Context(), r.caller, r.PathValue("uid"), aid, itid))
}

func (s *Server) userImages(r *request) (*response, error) {
	return answer(s.images.UserImages(r.Context(), r.caller, r.PathValue("uid"), r.URL.Query()["img"]))
}

func (s *Server) userImageStatuses(r *request) (*response, error) {
	return answer(s.images.UserImageStatuses(r.Context(), r.caller, r.PathValue("uid"), r.URL.Query()["img"]))
}

// downloadImage streams an artifact to the holder of its single-use downloadId,
// without credentials, with Content-Length, Range support and checksum headers.
func (s *Server) downloadImage(r *request) (*response, error) {
	aid, itid, err := r.imageIDs()
	if err != nil {
		return nil, err
	}
	d, err := s.images.DownloadImage(r.Context(), r.PathValue("uid"), aid, itid, r.URL.Query().Get("downloadId"))
	if err != nil {
		return nil, err
	}
	defer d.Close()
	serveArtifact(r.w, r.Request, d)
	return &response{written: true}, nil
}

// serveArtifact writes d with checksum headers; http.ServeContent sets
// Content-Length and answers Range and conditional requests.
func serveArtifact(w http.ResponseWriter, r *http.Request, d *service.Download) {
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": d.FileName}))
	if sum := d.SHA256(); sum != "" {
		h.Set("X-Checksum-Sha256", sum)
		if raw, err := hex.DecodeString(sum); err == nil {
			h.Set("Digest", "sha-256="+base64.StdEncoding.EncodeToString(raw))
		}
	}
	http.ServeContent(w, r, d.FileName, d.ModTime(), d)
}
