package service

import (
	"context"
	"errors"
	"fmt"
	"net/netip"

	"github.com/kilnhq/kiln/internal/auth"
	"github.com/kilnhq/kiln/internal/store"
)

// dummyHash makes authentication of an unknown login cost as much as a known one.
const dummyHash = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0XUZ6j5g5F4i2Bq2oIY4V2x0Vc2n7m4u8f9k1l3p5r0"

// Authenticate checks Basic credentials sent from the client address from.
// The order matters: a locked login is refused first, even with the right
// password (else guesses would go on through the cache); credentials verified
// recently cost one user read, to check that the stored hash is still the one
// they matched; anything else is a password check, which the address pays for
// and the node's gate bounds. Until it has a slot a request reads nothing
// from the database: a flood is refused at the cost of a map lookup.
func (s *Users) Authenticate(ctx context.Context, login, password string, from netip.Addr) (*Principal, error) {
	key := loginKey(login)
	if err := s.guard.locked(key, s.now()); err != nil {
		s.log.Debug("login refused", "login", key, "from", from, "reason", err.Error())
		return nil, err
	}
	if e, ok := s.auth.get(login, password, s.now()); ok {
		u, err := s.store.GetUser(ctx, login)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("authenticate: %w", err)
		}
		if err == nil && u.Active && e.still(u) {
			return passwordPrincipal(u), nil
		}
	}
	u, err := s.checkPassword(ctx, key, login, password, from)
	if err != nil {
		return nil, err
	}
	if !u.Active {
		// A disabled account answers exactly as a wrong password does: telling
		// them apart would confirm the password to whoever tries it.
		s.log.Warn("failed login", "login", key, "from", from, "reason", "account disabled")
		return nil, forbidden("auth.failed", "wrong login or password")
	}
	s.auth.put(login, password, u, s.now())
	return passwordPrincipal(u), nil
}

// checkPassword reads the user and verifies password against its hash, or a
// dummy one when the login does not exist (both cost the same), within the
// node's limits. Every failure is logged at warn, never with the password;
// refusals by the limits only at debug, since a flood would flood the log.
func (s *Users) checkPassword(ctx context.Context, key, login, password string, from netip.Addr) (*store.User, error) {
	if wait, ok := s.guard.addrs.Take(addressKey(from), s.now()); !ok {
		s.log.Debug("login refused", "login", key, "from", from, "reason", "too many password checks from the address")
		return nil, tooMany(wait, "auth.rate", "too many login attempts from your address; retry in %s", seconds(wait))
	}
	leave, err := s.guard.checks.Enter(ctx)
	if err != nil {
		s.log.Debug("login refused", "login", key, "from", from, "reason", err.Error())
		return nil, busy(err)
	}
	defer leave()
	// The login may have been locked while this request waited for a slot.
	if err := s.guard.locked(key, s.now()); err != nil {
		return nil, err
	}
	u, err := s.store.GetUser(ctx, login)
	hash := dummyHash
	switch {
	case err == nil:
		hash = u.PasswordHash
	case errors.Is(err, store.ErrNotFound):
		u = nil
	default:
		return nil, fmt.Errorf("authenticate: %w", err)
	}
	err = auth.CheckPassword(hash, password)
	if u != nil && err == nil {
		s.guard.logins.Succeed(key)
		return u, nil
	}
	reason := "wrong password"
	switch {
	case u == nil:
		reason = "unknown login"
	case !errors.Is(err, auth.ErrMismatch):
		reason = err.Error() // a stored hash Kiln cannot read
	}
	lock := s.guard.logins.Fail(key, s.now())
	s.log.Warn("failed login", "login", key, "from", from, "reason", reason, "locked_for", lock)
	return nil, forbidden("auth.failed", "wrong login or password")
}

// hashPassword hashes under the gate of password checks: a hashing costs the
// same memory, and password changes must not be a way around the bound.
func (s *Users) hashPassword(ctx context.Context, password string) (string, error) {
	leave, err := s.guard.checks.Enter(ctx)
	if err != nil {
		return "", busy(err)
	}
	defer leave()
	return auth.HashPassword(password)
}
