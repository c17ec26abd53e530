package api

import (
	"net/http"

	"github.com/kilnhq/kiln/internal/auth"
)

// routes is the API table: UForge paths (contract §5), who may call them, and
// the entitlement each needs (from the WADL).
func (s *Server) routes() {
	table := []route{
		{"GET /status", public, "", s.getStatus},

		{"GET /users", authenticated, "", s.listUsers},
		{"POST /users", authenticated, auth.UserCreate, s.createUser},
		{"GET /users/{uid}", authenticated, "", s.getUser},
		{"PUT /users/{uid}", authenticated, "", s.updateUser},
		{"GET /users/{uid}/roles", authenticated, "", s.getUserRoles},
		{"PUT /users/{uid}/roles", authenticated, auth.UserCreate, s.updateUserRoles},
		{"GET /users/{uid}/orgs", authenticated, "", s.listUserOrgs},
		{"GET /entitlements", authenticated, auth.OrgAdministrate, s.listEntitlements},
		{"GET /orgs", authenticated, "", s.listOrgs},
		{"GET /orgs/{oid}", authenticated, "", s.getOrg},
		{"GET /orgs/{oid}/roles", authenticated, auth.OrgAdministrate, s.listRoles},

		{"GET /users/{uid}/apikeys", authenticated, auth.APIKeyAccess, s.listAPIKeys},
		{"POST /users/{uid}/apikeys", authenticated, auth.APIKeyAccess, s.createAPIKey},
		{"GET /users/{uid}/apikeys/{akid}", authenticated, auth.APIKeyAccess, s.getAPIKey},
		{"PUT /users/{uid}/apikeys/{akid}", authenticated, auth.APIKeyAccess, s.updateAPIKey},
		{"DELETE /users/{uid}/apikeys/{akid}", authenticated, auth.APIKeyAccess, s.deleteAPIKey},

		{"GET /distributions", authenticated, auth.ApplianceCreate, s.listDistributions},
		{"GET /users/{uid}/distros", authenticated, auth.ApplianceCreate, s.listUserDistributions},
		{"GET /distributions/{id}", authenticated, auth.ApplianceCreate, s.getDistribution},
		{"GET /distributions/{id}/profiles", authenticated, auth.ApplianceCreate, s.listProfiles},
		{"GET /distributions/{id}/profiles/{pid}", authenticated, auth.ApplianceCreate, s.getProfile},
		{"GET /distributions/{id}/pkgs", authenticated, auth.ApplianceCreate, s.listPackages},
		{"GET /distributions/{id}/pkgs/{pid}", authenticated, auth.ApplianceCreate, s.getPackage},

		{"GET /users/{uid}/targetformats", authenticated, auth.ImageGenerate, s.listTargetFormats},
		{"GET /orgs/{oid}/targetformats", authenticated, auth.OrgFormatsAdministrate, s.listOrgTargetFormats},
		{"GET /orgs/{oid}/targetformats/{tfid}", authenticated, "", s.getTargetFormat},

		{"GET /users/{uid}/appliances", authenticated, auth.ApplianceCreate, s.listAppliances},
		{"POST /users/{uid}/appliances", authenticated, auth.ApplianceCreate, s.createAppliance},
		{"GET /users/{uid}/appliances/{aid}", authenticated, auth.ApplianceCreate, s.getAppliance},
		{"PUT /users/{uid}/appliances/{aid}", authenticated, auth.ApplianceCreate, s.updateAppliance},
		{"DELETE /users/{uid}/appliances/{aid}", authenticated, auth.ApplianceCreate, s.deleteAppliance},
		{"POST /users/{uid}/appliances/{aid}/clones", authenticated, auth.ApplianceCreate, s.cloneAppliance},

		{"POST /users/{uid}/appliances/{aid}/osprofile", authenticated, auth.ApplianceCreate, s.createOSProfile},
		{"GET /users/{uid}/appliances/{aid}/osprofile/{osid}", authenticated, auth.ApplianceCreate, s.getOSProfile},
		{"DELETE /users/{uid}/appliances/{aid}/osprofile/{osid}", authenticated, auth.ApplianceCreate, s.deleteOSProfile},
		{"GET /users/{uid}/appliances/{aid}/osprofile/{osid}/pkgs", authenticated, auth.ApplianceCreate, s.getOSProfilePackages},
		{"PUT /users/{uid}/appliances/{aid}/osprofile/{osid}/pkgs", authenticated, auth.ApplianceCreate, s.updateOSProfilePackages},

		{"GET /users/{uid}/appliances/{aid}/installProfile", authenticated, auth.ApplianceCreate, s.getInstallProfile},
		{"PUT /users/{uid}/appliances/{aid}/installProfile", authenticated, auth.ApplianceCreate, s.updateInstallProfile},
		{"GET /users/{uid}/appliances/{aid}/installProfile/{ipid}", authenticated, auth.ApplianceCreate, s.getInstallProfile},
		{"PUT /users/{uid}/appliances/{aid}/installProfile/{ipid}", authenticated, auth.ApplianceCreate, s.updateInstallProfile},

		{"POST /users/{uid}/appliances/{aid}/images", authenticated, auth.ImageGenerate, s.generateImage},
		{"GET /users/{uid}/appliances/{aid}/images", authenticated, auth.ApplianceCreate, s.listImages},
		{"DELETE /users/{uid}/appliances/{aid}/images", authenticated, auth.ApplianceCreate, s.deleteImages},
		{"GET /users/{uid}/appliances/{aid}/images/statuses", authenticated, auth.ApplianceCreate, s.listImageStatuses},
		{"POST /users/{uid}/appliances/{aid}/images/{itid}", authenticated, auth.ImageGenerate, s.regenerateImage},
		{"GET /users/{uid}/appliances/{aid}/images/{itid}", authenticated, auth.ApplianceCreate, s.getImage},
		{"DELETE /users/{uid}/appliances/{aid}/images/{itid}", authenticated, auth.ApplianceCreate, s.deleteImage},
		{"GET /users/{uid}/appliances/{aid}/images/{itid}/status", authenticated, auth.ApplianceCreate, s.getImageStatus},
		{"DELETE /users/{uid}/appliances/{aid}/images/{itid}/status", authenticated, auth.ImageGenerate, s.cancelImage},
		{"GET /users/{uid}/appliances/{aid}/images/{itid}/pkgs", authenticated, auth.ApplianceCreate, s.imagePackages},
		{"GET /users/{uid}/appliances/{aid}/images/{itid}/downloads", public, "", s.downloadImage},
		{"GET /users/{uid}/appliances/{aid}/images/{itid}/downloads/{fileName}", public, "", s.downloadImage},
		{"GET /users/{uid}/images", authenticated, auth.ImageGenerate, s.userImages},
		{"GET /users/{uid}/images/status", authenticated, auth.ImageGenerate, s.userImageStatuses},
	}
	for _, rt := range table {
		method, path, _ := cut(rt.pattern)
		s.mux.Handle(method+" "+BasePath+path, s.handle(rt))
	}
	// Anything else under /api: 405 when another method exists, else 404,
	// both as uforgeError bodies.
	s.mux.HandleFunc(BasePath+"/", s.fallback)
}

// fallback answers paths no route takes.
func (s *Server) fallback(w http.ResponseWriter, r *http.Request) {
	var allowed []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := s.mux.Handler(probe); pattern != BasePath+"/" && pattern != "" {
			allowed = append(allowed, m)
		}
	}
	if len(allowed) > 0 {
		w.Header().Set("Allow", join(allowed))
		s.writeError(w, r, newError(http.StatusMethodNotAllowed, "kiln.methodNotAllowed",
			"method %s is not allowed on this resource (allowed: %s)", r.Method, join(allowed)))
		return
	}
	s.writeError(w, r, notFound("no resource at %s", r.URL.Path))
}
