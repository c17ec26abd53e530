package service

import (
	"slices"

	"github.com/kilnhq/kiln/internal/auth"
	"github.com/kilnhq/kiln/internal/store"
)

// Principal is the authenticated caller of a use case.
type Principal struct {
	ID    int64
	Login string
	Roles []string
	user  *store.User // the account as authentication read it, reused for the request
	// password is true when the caller proved the account's password in this
	// request (HTTP Basic), false for an API key. False by default, so that a
	// principal made any other way cannot manage credentials.
	password bool
}

func principalOf(u *store.User) *Principal {
	return &Principal{ID: u.ID, Login: u.Login, Roles: slices.Clone(u.Roles), user: u}
}

// Has reports whether the caller holds entitlement e.
func (p *Principal) Has(e string) bool { return auth.Has(p.Roles, e) }

// IsAdmin reports whether the caller may act on other users' resources.
func (p *Principal) IsAdmin() bool {
	return p.Has(auth.UserAdministrate) || p.Has(auth.OrgAdministrate)
}

// CanActFor reports whether the caller may act on the resources of login.
func (p *Principal) CanActFor(login string) bool { return p.Login == login || p.IsAdmin() }

// requirePassword refuses account and credential management to a caller who
// did not give the account's password: an API key is a lesser credential (it
// may be stored on build machines, and UForge's legacy signatures can be
// replayed), so it must never mint a stronger one or take the account over.
func requirePassword(p *Principal) error {
	if p.password {
		return nil
	}
	return forbidden("auth.password", "this operation needs the account's password (HTTP Basic): "+
		"an API key cannot change passwords, manage API keys, create users or grant roles")
}
