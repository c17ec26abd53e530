package service

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/kilnhq/kiln/internal/auth"
	"github.com/kilnhq/kiln/internal/sealbox"
	"github.com/kilnhq/kiln/internal/store"
)

var loginRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$`)

// Users holds the use cases of accounts: authentication, users, roles and
// API keys, and the first administrator.
type Users struct {
	base
	auth    *authCache
	guard   *loginGuard
	secrets *sealbox.Box // seals API-key secrets at rest
	// openFailed is set once a secret failed to open, so that is logged once.
	openFailed atomic.Bool
}

// NewUsers returns the account use cases on st.
func NewUsers(st store.Store, cfg Config) *Users {
	return &Users{base: newBase(st, cfg), auth: newAuthCache(5*time.Minute, 10000), guard: newLoginGuard(cfg.Login),
		secrets: cfg.Secrets}
}

// Bootstrap creates the administrator `admin` when the database has no user.
// With an empty password one is generated and returned (to be printed once).
func (s *Users) Bootstrap(ctx context.Context, password string) (created bool, generated string, err error) {
	n, err := s.store.CountUsers(ctx)
	if err != nil {
		return false, "", fmt.Errorf("bootstrap: %w", err)
	}
	if n > 0 {
		return false, "", nil
	}
	if password == "" {
		if generated, err = auth.RandomToken(15); err != nil {
			return false, "", err
		}
		password = generated
	}
	hash, err := s.hashPassword(ctx, password)
	if err != nil {
		return false, "", err
	}
	u := &store.User{Login: "admin", PasswordHash: hash, Roles: auth.AdminRoles(), Active: true, APIKeysQuota: 10,
		FirstName: "Kiln", Surname: "Administrator"}
	if err := s.store.CreateUser(ctx, u); err != nil {
		return false, "", fmt.Errorf("bootstrap: create admin: %w", err)
	}
	return true, generated, nil
}

// passwordPrincipal is the principal of u once its password is verified.
func passwordPrincipal(u *store.User) *Principal {
	p := principalOf(u)
	p.password = true
	return p
}

// APIKeySecret returns the owner and the key pair of an API public key, for
// signature checks (the caller checks the signature, then Expired), with
// SecretKey opened. A key of a disabled account is unknown, and so is one
// whose secret the server key does not open.
func (s *Users) APIKeySecret(ctx context.Context, publicKey string) (*Principal, *store.APIKey, error) {
	k, err := s.store.GetAPIKeyByPublic(ctx, publicKey)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, forbidden("auth.apikey", "unknown API key")
	}
	if err != nil {
		return nil, nil, fmt.Errorf("api key: %w", err)
	}
	users, err := s.store.ListUsers(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("api key owner: %w", err)
	}
	for i := range users {
		if users[i].ID == k.UserID && users[i].Active {
			if k.SecretKey, err = s.openSecret(k); err != nil {
				return nil, nil, err
			}
			return principalOf(&users[i]), k, nil
		}
	}
	return nil, nil, forbidden("auth.apikey", "unknown API key")
}

// GetUser returns the account uid (self or, for an administrator, anyone).
func (s *Users) GetUser(ctx context.Context, p *Principal, uid string) (*store.User, error) {
	return s.targetUser(ctx, p, uid)
}

// ListUsers returns every account for an administrator, else only the caller.
func (s *Users) ListUsers(ctx context.Context, p *Principal) ([]store.User, error) {
	if !p.IsAdmin() {
		u, err := s.store.GetUser(ctx, p.Login)
		if err != nil {
			return nil, err
		}
		return []store.User{*u}, nil
	}
	return s.store.ListUsers(ctx)
}

// NewUser is the input of CreateUser.
type NewUser struct {
	Login, Email, FirstName, Surname, Password string
	Roles                                      []string // nil = the default roles
	Active                                     *bool
}

// CreateUser creates an account (needs user_create or user_administrate).
// When no password is given one is generated and returned.
func (s *Users) CreateUser(ctx context.Context, p *Principal, in NewUser) (*store.User, string, error) {
	if err := requirePassword(p); err != nil {
		return nil, "", err
	}
	if !p.Has(auth.UserCreate) && !p.Has(auth.UserAdministrate) {
		return nil, "", forbidden("user.create", "the entitlement %q is required to create users", auth.UserCreate)
	}
	if !loginRe.MatchString(in.Login) {
		return nil, "", invalid("user.login", "user/loginName: %q is not a valid login (letters, digits, . _ @ -; at most 64)", in.Login)
	}
	if strings.ContainsAny(in.Email, " \n") {
		return nil, "", invalid("user.email", "user/email: %q is not a valid address", in.Email)
	}
	roles := in.Roles
	if roles == nil {
		roles = auth.NewUserRoles()
	}
	if err := checkRoles(roles); err != nil {
		return nil, "", err
	}
	generated := ""
	if in.Password == "" {
		var err error
		if generated, err = auth.RandomToken(15); err != nil {
			return nil, "", err
		}
		in.Password = generated
	} else if len(in.Password) < 6 {
		return nil, "", invalid("user.password", "user/password: at least 6 characters are required")
	}
	hash, err := s.hashPassword(ctx, in.Password)
	if err != nil {
		return nil, "", err
	}
	u := &store.User{Login: in.Login, Email: in.Email, FirstName: in.FirstName, Surname: in.Surname,
		PasswordHash: hash, Roles: roles, Active: in.Active == nil || *in.Active, APIKeysQuota: 5}
	if err := s.store.CreateUser(ctx, u); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, "", conflict("user.exists", "user %q already exists", in.Login)
		}
		return nil, "", fmt.Errorf("create user: %w", err)
	}
	return u, generated, nil
}

// UserUpdate holds the fields PUT /users/{uid} may change; nil means unchanged.
type UserUpdate struct {
	Email, FirstName, Surname, Password *string
	Active                              *bool
}

// UpdateUser changes an account: the user themselves (user_profile_edit) or an administrator.
func (s *Users) UpdateUser(ctx context.Context, p *Principal, uid string, in UserUpdate) (*store.User, error) {
	if err := requirePassword(p); err != nil {
		return nil, err
	}
	u, err := s.targetUser(ctx, p, uid)
	if err != nil {
		return nil, err
	}
	if !p.IsAdmin() && !p.Has(auth.UserProfileEdit) {
		return nil, forbidden("user.edit", "the entitlement %q is required to edit a profile", auth.UserProfileEdit)
	}
	if in.Active != nil && !p.IsAdmin() {
		return nil, forbidden("user.activate", "only an administrator may enable or disable accounts")
	}
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&u.Email, in.Email)
	set(&u.FirstName, in.FirstName)
	set(&u.Surname, in.Surname)
	if in.Active != nil {
		u.Active = *in.Active
	}
	if in.Password != nil {
		if len(*in.Password) < 6 {
			return nil, invalid("user.password", "user/password: at least 6 characters are required")
		}
		if u.PasswordHash, err = s.hashPassword(ctx, *in.Password); err != nil {
			return nil, err
		}
	}
	if err := s.store.UpdateUser(ctx, u); err != nil {
		return nil, fmt.Errorf("update user: %w", err)
	}
	return u, nil
}

// SetRoles replaces the roles of uid (needs user_create).
func (s *Users) SetRoles(ctx context.Context, p *Principal, uid string, roles []string) (*store.User, error) {
	if err := requirePassword(p); err != nil {
		return nil, err
	}
	if !p.Has(auth.UserCreate) {
		return nil, forbidden("user.roles", "the entitlement %q is required to change roles", auth.UserCreate)
	}
	u, err := s.store.GetUser(ctx, uid)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("user", "user %q does not exist", uid)
	}
	if err != nil {
		return nil, err
	}
	if err := checkRoles(roles); err != nil {
		return nil, err
	}
	u.Roles = slices.Compact(slices.Sorted(slices.Values(roles)))
	if err := s.store.UpdateUser(ctx, u); err != nil {
		return nil, fmt.Errorf("set roles: %w", err)
	}
	return u, nil
}

func checkRoles(roles []string) error {
	for _, r := range roles {
		if _, ok := auth.RoleByName(r); !ok {
			names := []string{}
			for _, k := range auth.Roles() {
				names = append(names, k.Name)
			}
			return invalid("role.unknown", "roles: %q is not a role (known: %s)", r, strings.Join(names, ", "))
		}
	}
	return nil
}
