package api

import (
	"net/http"

	"github.com/kilnhq/kiln/internal/auth"
)

// table is the API: UForge paths (contract §5), who may call them, and the
// entitlement each needs (from the WADL). The adversarial tests walk it, so a
// new line here is covered by them at once.
func (s *Server) table() []route {
	return []route{
		{"GET /status", public, "", s.getStatus},

		{"GET /users", authenticated, "", s.listUsers},
		{"POST /users", authenticated, auth.UserCreate, s.createUser},
		{"GET /users/{uid}", authenticated, "", s.getUser},
		{"PUT /users/{uid}", authenticated, "", s.updateUser},
		{"GET /users/{uid}/roles", authenticated, "", s.getUserRoles},
		{"PUT /users/{uid}/roles", authenticated, auth.UserCreate, s.updateUserRoles},
		{"GET /users/{uid}/orgs", authenticated, "", s.listUserOrgs},
		{"GET /users/{uid}/quotas", authenticated, "", s.getQuotas},
		{"PUT /users/{uid}/quotas", authenticated, auth.UserAdministrate, s.updateQuotas},
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
		{"GET /users/{uid}/appliances/{aid}/images/{itid}/downloads", public, "", s.streaming(s.downloadImage)},
		{"GET /users/{uid}/appliances/{aid}/images/{itid}/downloads/{fileName}", public, "", s.streaming(s.downloadImage)},
		{"GET /users/{uid}/images", authenticated, auth.ImageGenerate, s.userImages},
		{"GET /users/{uid}/images/status", authenticated, auth.ImageGenerate, s.userImageStatuses},

		{"POST /users/{uid}/scannedinstances", authenticated, auth.MigrationAccess, s.createScannedInstance},
		{"GET /users/{uid}/scannedinstances", authenticated, auth.MigrationAccess, s.listScannedInstances},
		{"DELETE /users/{uid}/scannedinstances", authenticated, auth.MigrationAccess, s.deleteScannedInstances},
		{"GET /users/{uid}/scannedinstances/{siid}", authenticated, auth.MigrationAccess, s.getScannedInstance},
		{"DELETE /users/{uid}/scannedinstances/{siid}", authenticated, auth.MigrationAccess, s.deleteScannedInstance},
		{"POST /users/{uid}/scannedinstances/{siid}/scans", authenticated, auth.MigrationAccess, s.streaming(s.createScan)},
		{"GET /users/{uid}/scannedinstances/{siid}/scans", authenticated, auth.MigrationAccess, s.listScans},
		{"DELETE /users/{uid}/scannedinstances/{siid}/scans", authenticated, auth.MigrationAccess, s.deleteInstanceScans},
		{"GET /users/{uid}/scannedinstances/{siid}/scans/{sid}", authenticated, auth.MigrationAccess, s.getScan},
		{"PUT /users/{uid}/scannedinstances/{siid}/scans/{sid}", authenticated, auth.MigrationAccess, s.updateScan},
		{"DELETE /users/{uid}/scannedinstances/{siid}/scans/{sid}", authenticated, auth.MigrationAccess, s.deleteScan},
		{"DELETE /users/{uid}/scannedinstances/{siid}/scans/{sid}/status", authenticated, auth.MigrationAccess, s.cancelScan},
		{"POST /users/{uid}/scannedinstances/{siid}/scans/{sid}/overlay", authenticated, auth.MigrationAccess, s.streaming(s.uploadOverlay)},
		{"HEAD /users/{uid}/scannedinstances/{siid}/scans/{sid}/overlay", authenticated, auth.MigrationAccess, s.overlayReceived},
		{"GET /users/{uid}/scannedinstances/{siid}/scans/{sid}/overlay", authenticated, auth.MigrationAccess, s.streaming(s.downloadOverlay)},
		{"GET /users/{uid}/scannedinstances/{siid}/scans/{sid}/installProfile", authenticated, auth.MigrationAccess, s.scanInstallProfile},
		{"GET /users/{uid}/scannedinstances/{siid}/scans/{sid}/packages", authenticated, auth.MigrationAccess, s.scanPackages},
		{"GET /users/{uid}/scannedinstances/{siid}/scans/{sid}/files", authenticated, auth.MigrationAccess, s.scanFiles},
		{"GET /users/{uid}/scans", authenticated, auth.MigrationAccess, s.userScans},

		{"POST /users/{uid}/scannedinstances/{siid}/scans/{sid}/images", authenticated, auth.ImageGenerate, s.generateScanImage},
		{"GET /users/{uid}/scannedinstances/{siid}/scans/{sid}/images", authenticated, auth.ImageGenerate, s.listScanImages},
		{"POST /users/{uid}/scannedinstances/{siid}/scans/{sid}/images/{itid}", authenticated, auth.ImageGenerate, s.regenerateScanImage},
		{"GET /users/{uid}/scannedinstances/{siid}/scans/{sid}/images/{itid}", authenticated, auth.ImageGenerate, s.getScanImage},
		{"DELETE /users/{uid}/scannedinstances/{siid}/scans/{sid}/images/{itid}", authenticated, auth.ImageGenerate, s.deleteScanImage},
		{"GET /users/{uid}/scannedinstances/{siid}/scans/{sid}/images/{itid}/status", authenticated, auth.ImageGenerate, s.getScanImageStatus},
		{"DELETE /users/{uid}/scannedinstances/{siid}/scans/{sid}/images/{itid}/status", authenticated, auth.ImageGenerate, s.cancelScanImage},
		{"GET /users/{uid}/scannedinstances/{siid}/scans/{sid}/images/{itid}/fidelity", authenticated, auth.ImageGenerate, s.scanImageFidelity},
		{"GET /users/{uid}/scannedinstances/{siid}/scans/{sid}/images/{itid}/downloads", public, "", s.streaming(s.downloadScanImage)},
		{"GET /users/{uid}/scannedinstances/{siid}/scans/{sid}/images/{itid}/downloads/{fileName}", public, "", s.streaming(s.downloadScanImage)},

		{"GET /resources/uforge-scan.bin.sha256", authenticated, "", s.agentChecksum},
		{"GET /resources/kiln-scan.sha256", authenticated, "", s.agentChecksum},
	}
}

// routes mounts the table, the agent download and the fallback on the mux.
func (s *Server) routes() {
	for _, rt := range s.table() {
		method, path, _ := cut(rt.pattern)
		s.mux.Handle(method+" "+BasePath+path, s.handle(rt))
	}
	for _, name := range agentNames {
		s.mux.HandleFunc("GET /resources/"+name, func(w http.ResponseWriter, r *http.Request) { s.serveAgent(s.rolling(w, r)) })
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
