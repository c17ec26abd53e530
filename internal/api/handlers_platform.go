package api

import (
	"strconv"

	"github.com/kilnhq/kiln/internal/service"
	"github.com/kilnhq/kiln/internal/uforge"
)

// getStatus answers GET /status without credentials: UForge clients check the
// version before anything else (contract §2.4).
func (s *Server) getStatus(r *request) (*response, error) {
	if r.Header.Get("Accept") == "text/plain" {
		r.w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = r.w.Write([]byte("alive " + s.cfg.Version + "\n"))
		return &response{written: true}, nil
	}
	return ok(&uforge.ServiceStatus{Alive: new(true), Version: new(s.cfg.Version), ServiceLoad: new(0)}), nil
}

// query reads the UForge search parameters (query, count, offset, orderBy, descending).
func (r *request) query() (service.Query, error) {
	v := r.URL.Query()
	q := service.Query{FIQL: v.Get("query"), OrderBy: v.Get("orderBy")}
	for _, p := range []struct {
		name string
		dst  *int
	}{{"count", &q.Count}, {"offset", &q.Offset}} {
		if s := v.Get(p.name); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 0 {
				return q, badRequest("param", "query parameter %s: %q is not a non-negative number", p.name, s)
			}
			*p.dst = n
		}
	}
	d, err := r.boolParam("descending")
	q.Descending = d
	return q, err
}

func (s *Server) listOrgs(r *request) (*response, error) {
	return ok(&uforge.Orgs{Objects: uforge.Objects{Total: new(int64(1))}, Orgs: []uforge.Org{*s.catalog.Org(r.Context(), r.caller)}}), nil
}

func (s *Server) listUserOrgs(r *request) (*response, error) {
	if _, err := s.users.GetUser(r.Context(), r.caller, r.PathValue("uid")); err != nil {
		return nil, err
	}
	return s.listOrgs(r)
}

func (s *Server) getOrg(r *request) (*response, error) {
	if err := checkOrg(r); err != nil {
		return nil, err
	}
	return ok(s.catalog.Org(r.Context(), r.caller)), nil
}

// checkOrg accepts only the default organization.
func checkOrg(r *request) error {
	oid, err := r.id("oid")
	if err != nil {
		return err
	}
	if oid != service.DefaultOrgID {
		return notFound("organization %d does not exist", oid)
	}
	return nil
}

func (s *Server) listDistributions(r *request) (*response, error) {
	q, err := r.query()
	if err != nil {
		return nil, err
	}
	return answer(s.catalog.ListDistributions(r.Context(), q))
}

func (s *Server) listUserDistributions(r *request) (*response, error) {
	if _, err := s.users.GetUser(r.Context(), r.caller, r.PathValue("uid")); err != nil {
		return nil, err
	}
	return s.listDistributions(r)
}

func (s *Server) getDistribution(r *request) (*response, error) {
	id, err := r.id("id")
	if err != nil {
		return nil, err
	}
	return answer(s.catalog.GetDistribution(r.Context(), id))
}

func (s *Server) listProfiles(r *request) (*response, error) {
	id, err := r.id("id")
	if err != nil {
		return nil, err
	}
	q, err := r.query()
	if err != nil {
		return nil, err
	}
	return answer(s.catalog.DistributionProfiles(r.Context(), id, q))
}

func (s *Server) getProfile(r *request) (*response, error) {
	id, err := r.id("id")
	if err != nil {
		return nil, err
	}
	pid, err := r.id("pid")
	if err != nil {
		return nil, err
	}
	return answer(s.catalog.DistributionProfile(r.Context(), id, pid))
}

func (s *Server) listPackages(r *request) (*response, error) {
	id, err := r.id("id")
	if err != nil {
		return nil, err
	}
	q, err := r.query()
	if err != nil {
		return nil, err
	}
	return answer(s.catalog.DistributionPackages(r.Context(), id, q))
}

func (s *Server) getPackage(r *request) (*response, error) {
	id, err := r.id("id")
	if err != nil {
		return nil, err
	}
	pid, err := r.id("pid")
	if err != nil {
		return nil, err
	}
	return answer(s.catalog.DistributionPackage(r.Context(), id, pid))
}

func (s *Server) listTargetFormats(r *request) (*response, error) {
	if _, err := s.users.GetUser(r.Context(), r.caller, r.PathValue("uid")); err != nil {
		return nil, err
	}
	q, err := r.query()
	if err != nil {
		return nil, err
	}
	return answer(s.catalog.TargetFormats(r.Context(), r.caller, q))
}

func (s *Server) listOrgTargetFormats(r *request) (*response, error) {
	if err := checkOrg(r); err != nil {
		return nil, err
	}
	q, err := r.query()
	if err != nil {
		return nil, err
	}
	return answer(s.catalog.TargetFormats(r.Context(), r.caller, q))
}

func (s *Server) getTargetFormat(r *request) (*response, error) {
	if err := checkOrg(r); err != nil {
		return nil, err
	}
	id, err := r.id("tfid")
	if err != nil {
		return nil, err
	}
	return answer(s.catalog.TargetFormat(r.Context(), r.caller, id))
}
