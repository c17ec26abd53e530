package api

import (
	"github.com/kilnhq/kiln/internal/uforge"
)

// appliance reads the {aid} path parameter.
func (r *request) aid() (int64, error) { return r.id("aid") }

func (s *Server) listAppliances(r *request) (*response, error) {
	q, err := r.query()
	if err != nil {
		return nil, err
	}
	return answer(s.appliances.ListAppliances(r.Context(), r.caller, r.PathValue("uid"), q))
}

func (s *Server) createAppliance(r *request) (*response, error) {
	var in uforge.Appliance
	if err := r.decode(&in); err != nil {
		return nil, err
	}
	a, err := s.appliances.CreateAppliance(r.Context(), r.caller, r.PathValue("uid"), &in)
	if err != nil {
		return nil, err
	}
	resp := created(a)
	resp.location = *a.URI
	return resp, nil
}

func (s *Server) getAppliance(r *request) (*response, error) {
	aid, err := r.aid()
	if err != nil {
		return nil, err
	}
	a, err := s.appliances.GetAppliance(r.Context(), r.caller, r.PathValue("uid"), aid)
	if err != nil {
		return nil, err
	}
	resp := ok(a)
	resp.lastModified = *a.LastModified
	return resp, nil
}

func (s *Server) updateAppliance(r *request) (*response, error) {
	aid, err := r.aid()
	if err != nil {
		return nil, err
	}
	var in uforge.Appliance
	if err := r.decode(&in); err != nil {
		return nil, err
	}
	return answer(s.appliances.UpdateAppliance(r.Context(), r.caller, r.PathValue("uid"), aid, &in))
}

func (s *Server) deleteAppliance(r *request) (*response, error) {
	aid, err := r.aid()
	if err != nil {
		return nil, err
	}
	force, err := r.boolParam("force")
	if err != nil {
		return nil, err
	}
	if err := s.appliances.DeleteAppliance(r.Context(), r.caller, r.PathValue("uid"), aid, force); err != nil {
		return nil, err
	}
	return noContent(), nil
}

func (s *Server) cloneAppliance(r *request) (*response, error) {
	aid, err := r.aid()
	if err != nil {
		return nil, err
	}
	var in uforge.Appliance
	if err := r.decode(&in); err != nil {
		return nil, err
	}
	a, err := s.appliances.CloneAppliance(r.Context(), r.caller, r.PathValue("uid"), aid, &in)
	if err != nil {
		return nil, err
	}
	resp := created(a)
	resp.location = *a.URI
	return resp, nil
}

func (s *Server) createOSProfile(r *request) (*response, error) {
	aid, err := r.aid()
	if err != nil {
		return nil, err
	}
	var in uforge.LinuxProfile
	if err := r.decodeProfile(&in); err != nil {
		return nil, err
	}
	p, err := s.appliances.CreateOSProfile(r.Context(), r.caller, r.PathValue("uid"), aid, &in)
	if err != nil {
		return nil, err
	}
	resp := created(&uforge.OSProfile{LinuxProfile: *p})
	resp.location = *p.URI
	return resp, nil
}

func (s *Server) getOSProfile(r *request) (*response, error) {
	aid, osid, err := r.osProfileIDs()
	if err != nil {
		return nil, err
	}
	p, err := s.appliances.GetOSProfile(r.Context(), r.caller, r.PathValue("uid"), aid, osid)
	if err != nil {
		return nil, err
	}
	return ok(&uforge.OSProfile{LinuxProfile: *p}), nil
}

func (s *Server) deleteOSProfile(r *request) (*response, error) {
	aid, osid, err := r.osProfileIDs()
	if err != nil {
		return nil, err
	}
	if err := s.appliances.DeleteOSProfile(r.Context(), r.caller, r.PathValue("uid"), aid, osid); err != nil {
		return nil, err
	}
	return noContent(), nil
}

func (s *Server) getOSProfilePackages(r *request) (*response, error) {
	aid, osid, err := r.osProfileIDs()
	if err != nil {
		return nil, err
	}
	return answer(s.appliances.OSProfilePackages(r.Context(), r.caller, r.PathValue("uid"), aid, osid))
}

func (s *Server) updateOSProfilePackages(r *request) (*response, error) {
	aid, osid, err := r.osProfileIDs()
	if err != nil {
		return nil, err
	}
	var in uforge.PkgList
	if err := r.decode(&in); err != nil {
		return nil, err
	}
	return answer(s.appliances.UpdateOSProfilePackages(r.Context(), r.caller, r.PathValue("uid"), aid, osid, &in))
}

func (r *request) osProfileIDs() (aid, osid int64, err error) {
	if aid, err = r.aid(); err != nil {
		return 0, 0, err
	}
	osid, err = r.id("osid")
	return aid, osid, err
}

// installProfileIDs reads {aid} and the optional {ipid} (absent in the deprecated form).
func (r *request) installProfileIDs() (aid, ipid int64, err error) {
	if aid, err = r.aid(); err != nil {
		return 0, 0, err
	}
	if r.PathValue("ipid") == "" {
		return aid, 0, nil
	}
	ipid, err = r.id("ipid")
	return aid, ipid, err
}

func (s *Server) getInstallProfile(r *request) (*response, error) {
	aid, ipid, err := r.installProfileIDs()
	if err != nil {
		return nil, err
	}
	return answer(s.appliances.GetInstallProfile(r.Context(), r.caller, r.PathValue("uid"), aid, ipid))
}

func (s *Server) updateInstallProfile(r *request) (*response, error) {
	aid, ipid, err := r.installProfileIDs()
	if err != nil {
		return nil, err
	}
	var in uforge.InstallProfile
	if err := r.decode(&in); err != nil {
		return nil, err
	}
	return answer(s.appliances.UpdateInstallProfile(r.Context(), r.caller, r.PathValue("uid"), aid, ipid, &in))
}
