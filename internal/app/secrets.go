package app

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/kilnhq/kiln/internal/sealbox"
)

// openSecretBox loads the server key (generating it at first start) and the
// previous one when a rotation names it. The previous key is never
// generated: a missing one is a mistyped path, not a first start.
func openSecretBox(cfg *Config) (*sealbox.Box, error) {
	if cfg.SecretKeyFile == "" {
		cfg.SecretKeyFile = filepath.Join(cfg.DataDir, "secret.key")
	}
	key, err := sealbox.LoadKeyFile(cfg.SecretKeyFile, true)
	if err != nil {
		return nil, err
	}
	var previous [][]byte
	if cfg.PreviousSecretKeyFile != "" {
		old, err := sealbox.LoadKeyFile(cfg.PreviousSecretKeyFile, false)
		if err != nil {
			return nil, fmt.Errorf("previous %w", err)
		}
		previous = append(previous, old)
	}
	return sealbox.New(key, previous...)
}

// sealSecrets seals the API-key secrets still in clear (written by a Kiln
// before sealing) or under the previous key, once per start: doing it here
// rather than on each use keeps the request path read-only.
func (n *Node) sealSecrets(ctx context.Context) error {
	sealed, unopened, err := n.Services.Users.SealAPIKeySecrets(ctx)
	if err != nil {
		return err
	}
	if sealed > 0 {
		n.log.Info("API-key secrets sealed with the server key", "count", sealed)
	}
	if unopened > 0 {
		n.log.Error("API-key secrets no server key opens: those keys fail authentication; is --secret-key-file the one the other nodes use?",
			"count", unopened)
	}
	return nil
}
