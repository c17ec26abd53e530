package api

import (
	"fmt"
	"time"

	"github.com/kilnhq/kiln/internal/auth"
	"github.com/kilnhq/kiln/internal/service"
	"github.com/kilnhq/kiln/internal/store"
	"github.com/kilnhq/kiln/internal/uforge"
)

func renderUser(u *store.User) *uforge.User {
	uri := "users/" + u.Login
	w := &uforge.User{}
	w.Created = new(u.Created.UTC())
	w.DBID = new(u.ID)
	w.LastModified = new(u.Modified.UTC())
	w.LoginName = new(u.Login)
	w.Active = new(u.Active)
	if u.Email != "" {
		w.Email = new(u.Email)
	}
	if u.FirstName != "" {
		w.FirstName = new(u.FirstName)
	}
	if u.Surname != "" {
		w.Surname = new(u.Surname)
	}
	w.Admin = new(auth.Has(u.Roles, auth.UserAdministrate) || auth.Has(u.Roles, auth.OrgAdministrate))
	w.APIKeysQuota = new(u.APIKeysQuota)
	w.BaseAPIKeysURI = new(uri + "/apikeys")
	w.BaseAppliancesURI = new(uri + "/appliances")
	w.BaseDistributionsURI = new(uri + "/distros")
	w.BaseImagesURI = new(uri + "/images")
	w.BaseOrgsURI = new(uri + "/orgs")
	w.BaseRolesURI = new(uri + "/roles")
	w.BaseTargetFormatsURI = new(uri + "/targetformats")
	w.OrgURIs = []string{fmt.Sprintf("orgs/%d", service.DefaultOrgID)}
	w.QuotasURI = new(uri + "/quotas")
	w.Roles = renderRoles(u.Roles)
	w.ScannedInstancesURI = new(uri + "/scannedinstances")
	w.ScansURI = new(uri + "/scans")
	w.SSHKeys = []uforge.SSHKey{}
	w.URI = new(uri)
	return w
}

func renderRoles(names []string) []uforge.Role {
	out := []uforge.Role{}
	for _, n := range names {
		r, ok := auth.RoleByName(n)
		if !ok {
			continue
		}
		w := uforge.Role{Name: new(r.Name), Description: new(r.Description), Entitlements: []uforge.Entitlement{}}
		for _, e := range r.Entitlements {
			w.Entitlements = append(w.Entitlements, uforge.Entitlement{Name: new(e), Description: new(auth.EntitlementDescription(e))})
		}
		out = append(out, w)
	}
	return out
}

func (s *Server) getUser(r *request) (*response, error) {
	u, err := s.users.GetUser(r.Context(), r.caller, r.PathValue("uid"))
	if err != nil {
		return nil, err
	}
	resp := ok(renderUser(u))
	resp.lastModified = u.Modified
	return resp, nil
}

func (s *Server) listUsers(r *request) (*response, error) {
	users, err := s.users.ListUsers(r.Context(), r.caller)
	if err != nil {
		return nil, err
	}
	out := &uforge.Users{Objects: uforge.Objects{Total: new(int64(len(users)))}, Users: []uforge.User{}}
	for i := range users {
		out.Users = append(out.Users, *renderUser(&users[i]))
	}
	return ok(out), nil
}

func (s *Server) createUser(r *request) (*response, error) {
	var in uforge.User
	if err := r.decode(&in); err != nil {
		return nil, err
	}
	nu := service.NewUser{Login: uforge.StrValue(in.LoginName), Email: uforge.StrValue(in.Email),
		FirstName: uforge.StrValue(in.FirstName), Surname: uforge.StrValue(in.Surname),
		Password: uforge.StrValue(in.Password), Active: in.Active}
	if in.Roles != nil {
		nu.Roles = []string{}
		for _, role := range in.Roles {
			nu.Roles = append(nu.Roles, uforge.StrValue(role.Name))
		}
	}
	u, generated, err := s.users.CreateUser(r.Context(), r.caller, nu)
	if err != nil {
		return nil, err
	}
	w := renderUser(u)
	if generated != "" {
		w.Password = new(generated) // shown once, never stored in clear
	}
	resp := created(w)
	resp.location = *w.URI
	return resp, nil
}

func (s *Server) updateUser(r *request) (*response, error) {
	var in uforge.User
	if err := r.decode(&in); err != nil {
		return nil, err
	}
	if in.LoginName != nil && *in.LoginName != r.PathValue("uid") {
		return nil, badRequest("user.login", "user/loginName: a login cannot be renamed")
	}
	u, err := s.users.UpdateUser(r.Context(), r.caller, r.PathValue("uid"), service.UserUpdate{
		Email: in.Email, FirstName: in.FirstName, Surname: in.Surname, Password: in.Password, Active: in.Active})
	if err != nil {
		return nil, err
	}
	return ok(renderUser(u)), nil
}

func (s *Server) getUserRoles(r *request) (*response, error) {
	u, err := s.users.GetUser(r.Context(), r.caller, r.PathValue("uid"))
	if err != nil {
		return nil, err
	}
	roles := renderRoles(u.Roles)
	return ok(&uforge.Roles{Objects: uforge.Objects{Total: new(int64(len(roles)))}, Roles: roles}), nil
}

func (s *Server) updateUserRoles(r *request) (*response, error) {
	var in uforge.Roles
	if err := r.decode(&in); err != nil {
		return nil, err
	}
	names := []string{}
	for i, role := range in.Roles {
		if role.Name == nil {
			return nil, badRequest("role.name", "roles/roles/role[%d]/name: is required", i)
		}
		names = append(names, *role.Name)
	}
	u, err := s.users.SetRoles(r.Context(), r.caller, r.PathValue("uid"), names)
	if err != nil {
		return nil, err
	}
	roles := renderRoles(u.Roles)
	return ok(&uforge.Roles{Objects: uforge.Objects{Total: new(int64(len(roles)))}, Roles: roles}), nil
}

func (s *Server) listRoles(r *request) (*response, error) {
	if err := checkOrg(r); err != nil {
		return nil, err
	}
	var names []string
	for _, role := range auth.Roles() {
		names = append(names, role.Name)
	}
	roles := renderRoles(names)
	return ok(&uforge.Roles{Objects: uforge.Objects{Total: new(int64(len(roles)))}, Roles: roles}), nil
}

func (s *Server) listEntitlements(r *request) (*response, error) {
	seen := map[string]bool{}
	out := &uforge.Entitlements{Entitlements: []uforge.Entitlement{}}
	for _, role := range auth.Roles() {
		for _, e := range role.Entitlements {
			if !seen[e] {
				seen[e] = true
				out.Entitlements = append(out.Entitlements, uforge.Entitlement{Name: new(e), Description: new(auth.EntitlementDescription(e))})
			}
		}
	}
	out.Total = new(int64(len(out.Entitlements)))
	return ok(out), nil
}

// KeyExpiresHeader carries the expiry of the API key a single-key answer
// shows (RFC 3339), when it has one: apiKeyPair has no element for it.
const KeyExpiresHeader = "X-Kiln-Key-Expires"

// renderAPIKey renders a key pair without its secret: the secret is shown once,
// by createAPIKey, so that a later read of the account cannot collect it.
func renderAPIKey(login string, k *store.APIKey) uforge.APIKeyPair {
	w := uforge.APIKeyPair{Name: new(k.Name), Description: new(k.Description), PublicKey: new(k.PublicKey),
		URI: new(fmt.Sprintf("users/%s/apikeys/%d", login, k.ID))}
	w.DBID = new(k.ID)
	w.Created = new(k.Created.UTC())
	w.LastModified = new(k.Modified.UTC())
	return w
}

// oneAPIKey renders k for an answer about it alone, with its expiry.
func (r *request) oneAPIKey(login string, k *store.APIKey) uforge.APIKeyPair {
	if !k.Expires.IsZero() {
		r.w.Header().Set(KeyExpiresHeader, k.Expires.UTC().Format(time.RFC3339))
	}
	return renderAPIKey(login, k)
}

func (s *Server) listAPIKeys(r *request) (*response, error) {
	uid := r.PathValue("uid")
	keys, err := s.users.ListAPIKeys(r.Context(), r.caller, uid)
	if err != nil {
		return nil, err
	}
	out := &uforge.APIKeyPairs{Objects: uforge.Objects{Total: new(int64(len(keys)))}, APIKeyPairs: []uforge.APIKeyPair{}}
	for i := range keys {
		out.APIKeyPairs = append(out.APIKeyPairs, renderAPIKey(uid, &keys[i]))
	}
	return ok(out), nil
}

// createAPIKey generates a key pair and shows its secret, this once. The query
// parameter expires (RFC 3339, a Kiln extension) sets when the key stops working.
func (s *Server) createAPIKey(r *request) (*response, error) {
	var expires time.Time
	if v := r.URL.Query().Get("expires"); v != "" {
		var err error
		if expires, err = time.Parse(time.RFC3339, v); err != nil {
			return nil, badRequest("apikey.expires", "expires: %q is not an RFC 3339 time (2030-01-31T00:00:00Z)", v)
		}
	}
	var in uforge.APIKeyPair
	if err := r.decode(&in); err != nil {
		return nil, err
	}
	uid := r.PathValue("uid")
	k, err := s.users.CreateAPIKey(r.Context(), r.caller, uid, uforge.StrValue(in.Name), uforge.StrValue(in.Description), expires)
	if err != nil {
		return nil, err
	}
	w := r.oneAPIKey(uid, k)
	w.SecretKey = new(k.SecretKey)
	resp := created(&w)
	resp.location = *w.URI
	return resp, nil
}

func (s *Server) getAPIKey(r *request) (*response, error) {
	id, err := r.id("akid")
	if err != nil {
		return nil, err
	}
	uid := r.PathValue("uid")
	k, err := s.users.GetAPIKey(r.Context(), r.caller, uid, id)
	if err != nil {
		return nil, err
	}
	w := r.oneAPIKey(uid, k)
	return ok(&w), nil
}

func (s *Server) updateAPIKey(r *request) (*response, error) {
	id, err := r.id("akid")
	if err != nil {
		return nil, err
	}
	var in uforge.APIKeyPair
	if err := r.decode(&in); err != nil {
		return nil, err
	}
	uid := r.PathValue("uid")
	k, err := s.users.UpdateAPIKey(r.Context(), r.caller, uid, id, in.Name, in.Description)
	if err != nil {
		return nil, err
	}
	w := r.oneAPIKey(uid, k)
	return ok(&w), nil
}

func (s *Server) deleteAPIKey(r *request) (*response, error) {
	id, err := r.id("akid")
	if err != nil {
		return nil, err
	}
	if err := s.users.DeleteAPIKey(r.Context(), r.caller, r.PathValue("uid"), id); err != nil {
		return nil, err
	}
	return noContent(), nil
}
