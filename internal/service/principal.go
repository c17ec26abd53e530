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
