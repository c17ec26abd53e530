package service

import (
	"context"
	"errors"
	"fmt"

	"github.com/kilnhq/kiln/internal/store"
)

// errNoSecrets is a wiring error: a Users built without Config.Secrets cannot
// store or check API keys, and must say so rather than store them in clear.
var errNoSecrets = errors.New("service: no server key to seal API-key secrets (Config.Secrets)")

// sealSecret is the stored form of a new API-key secret.
func (s *Users) sealSecret(secret string) (string, error) {
	if s.secrets == nil {
		return "", errNoSecrets
	}
	sealed, err := s.secrets.Seal(secret)
	if err != nil {
		return "", fmt.Errorf("seal api key secret: %w", err)
	}
	return sealed, nil
}

// openSecret returns the secret of k for a signature check. A secret the
// server key cannot open (another node's key file, a restored database
// without its key) makes the key unknown to the caller, and is logged once
// per process: every signed request would otherwise log it again.
func (s *Users) openSecret(k *store.APIKey) (string, error) {
	if s.secrets == nil {
		return "", errNoSecrets
	}
	plain, _, err := s.secrets.Open(k.SecretKey)
	if err != nil {
		if s.openFailed.CompareAndSwap(false, true) {
			s.log.Error("an API-key secret does not open with the server key: is --secret-key-file the one every node shares?",
				"apikey", k.ID, "err", err)
		}
		return "", forbidden("auth.apikey", "unknown API key")
	}
	return plain, nil
}

// SealAPIKeySecrets seals, under the current server key, every stored secret
// that is not yet: plaintext rows written before secrets were sealed, and
// rows sealed with a previous key (rotation). It runs at node start; rows
// another node changes meanwhile are left to it. Secrets no key opens are
// counted, not fatal: their keys fail authentication until the right key
// file is back.
func (s *Users) SealAPIKeySecrets(ctx context.Context) (sealed, unopened int, err error) {
	if s.secrets == nil {
		return 0, 0, errNoSecrets
	}
	keys, err := s.store.ListAllAPIKeys(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("seal api key secrets: %w", err)
	}
	for i := range keys {
		k := &keys[i]
		plain, stale, err := s.secrets.Open(k.SecretKey)
		if err != nil {
			unopened++
			continue
		}
		if !stale {
			continue
		}
		v, err := s.sealSecret(plain)
		if err != nil {
			return sealed, unopened, err
		}
		changed, err := s.store.ReplaceAPIKeySecret(ctx, k.ID, k.SecretKey, v)
		if err != nil {
			return sealed, unopened, fmt.Errorf("seal api key secrets: %w", err)
		}
		if changed {
			sealed++
		}
	}
	return sealed, unopened, nil
}
