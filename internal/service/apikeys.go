package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kilnhq/kiln/internal/auth"
	"github.com/kilnhq/kiln/internal/store"
)

// ListAPIKeys returns the key pairs of uid.
func (s *Users) ListAPIKeys(ctx context.Context, p *Principal, uid string) ([]store.APIKey, error) {
	u, err := s.apiKeyOwner(ctx, p, uid)
	if err != nil {
		return nil, err
	}
	return s.store.ListAPIKeys(ctx, u.ID)
}

// CreateAPIKey generates a key pair for uid, within the user's quota, stores
// its secret sealed and returns it in clear. A non-zero expires must be in
// the future: the key authenticates nothing from then on.
func (s *Users) CreateAPIKey(ctx context.Context, p *Principal, uid, name, description string, expires time.Time) (*store.APIKey, error) {
	u, err := s.apiKeyOwner(ctx, p, uid)
	if err != nil {
		return nil, err
	}
	if !expires.IsZero() && !expires.After(s.now()) {
		return nil, invalid("apikey.expires", "expires: %s is not in the future", expires.UTC().Format(time.RFC3339))
	}
	keys, err := s.store.ListAPIKeys(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	if u.APIKeysQuota > 0 && len(keys) >= u.APIKeysQuota {
		return nil, conflict("apikey.quota", "user %q already has %d API key pairs (quota %d)", uid, len(keys), u.APIKeysQuota)
	}
	pub, err := auth.RandomToken(24)
	if err != nil {
		return nil, err
	}
	secret, err := auth.RandomToken(32)
	if err != nil {
		return nil, err
	}
	sealed, err := s.sealSecret(secret)
	if err != nil {
		return nil, err
	}
	k := &store.APIKey{UserID: u.ID, Name: name, Description: description, PublicKey: pub, SecretKey: sealed, Expires: expires}
	if err := s.store.CreateAPIKey(ctx, k); err != nil {
		return nil, fmt.Errorf("create api key: %w", err)
	}
	k.SecretKey = secret // shown to the caller this once; only the sealed form is stored
	return k, nil
}

// UpdateAPIKey changes the name and description of a key pair.
func (s *Users) UpdateAPIKey(ctx context.Context, p *Principal, uid string, id int64, name, description *string) (*store.APIKey, error) {
	k, err := s.GetAPIKey(ctx, p, uid, id)
	if err != nil {
		return nil, err
	}
	if name != nil {
		k.Name = *name
	}
	if description != nil {
		k.Description = *description
	}
	if err := s.store.UpdateAPIKey(ctx, k); err != nil {
		return nil, fmt.Errorf("update api key: %w", err)
	}
	return k, nil
}

// GetAPIKey returns one key pair of uid.
func (s *Users) GetAPIKey(ctx context.Context, p *Principal, uid string, id int64) (*store.APIKey, error) {
	keys, err := s.ListAPIKeys(ctx, p, uid)
	if err != nil {
		return nil, err
	}
	for i := range keys {
		if keys[i].ID == id {
			return &keys[i], nil
		}
	}
	return nil, notFound("apikey", "API key pair %d of user %q does not exist", id, uid)
}

// DeleteAPIKey removes a key pair.
func (s *Users) DeleteAPIKey(ctx context.Context, p *Principal, uid string, id int64) error {
	u, err := s.apiKeyOwner(ctx, p, uid)
	if err != nil {
		return err
	}
	if err := s.store.DeleteAPIKey(ctx, u.ID, id); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return notFound("apikey", "API key pair %d of user %q does not exist", id, uid)
		}
		return fmt.Errorf("delete api key: %w", err)
	}
	return nil
}

// apiKeyOwner is the account whose keys p manages. Managing keys, listing
// them included, needs the password: a key must not mint or find other keys.
func (s *Users) apiKeyOwner(ctx context.Context, p *Principal, uid string) (*store.User, error) {
	if err := requirePassword(p); err != nil {
		return nil, err
	}
	if !p.Has(auth.APIKeyAccess) {
		return nil, forbidden("entitlement", "the entitlement %q is required for this operation", auth.APIKeyAccess)
	}
	return s.targetUser(ctx, p, uid)
}
