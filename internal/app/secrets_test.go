package app_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kilnhq/kiln/internal/app"
	"github.com/kilnhq/kiln/internal/sealbox"
	"github.com/kilnhq/kiln/internal/store"
)

// openClosed opens a serving node on cfg, passes it to check, and closes it.
func openClosed(t *testing.T, cfg app.Config, check func(*app.Node)) {
	t.Helper()
	ctx := context.Background()
	n, err := app.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	check(n)
	if err := n.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

// storedSecret is the secret_key column of the key "pub".
func storedSecret(t *testing.T, n *app.Node) string {
	t.Helper()
	k, err := n.Store.GetAPIKeyByPublic(context.Background(), "pub")
	if err != nil {
		t.Fatal(err)
	}
	return k.SecretKey
}

// A plaintext row is sealed at the next start; a rotation re-seals it under
// the new key; a key file others may read stops the node.
func TestSecretKeyFileSealRotateRefuse(t *testing.T) {
	cfg := config(t, "")
	ctx := context.Background()
	oldKey := filepath.Join(cfg.DataDir, "secret.key")
	openClosed(t, cfg, func(n *app.Node) {
		admin, err := n.Store.GetUser(ctx, "admin")
		if err != nil {
			t.Fatal(err)
		}
		k := &store.APIKey{UserID: admin.ID, PublicKey: "pub", SecretKey: "plain-secret"}
		if err := n.Store.CreateAPIKey(ctx, k); err != nil {
			t.Fatal(err)
		}
	})
	var sealedOld string
	openClosed(t, cfg, func(n *app.Node) { sealedOld = storedSecret(t, n) })
	old, err := sealbox.LoadKeyFile(oldKey, false)
	if err != nil {
		t.Fatal(err)
	}
	if p := openWith(t, old, sealedOld); p != "plain-secret" {
		t.Fatalf("after a restart the row holds %q, opening to %q", sealedOld, p)
	}

	newKey := filepath.Join(t.TempDir(), "new.key")
	if err := os.WriteFile(newKey, bytes.Repeat([]byte{9}, sealbox.KeySize), 0o600); err != nil {
		t.Fatal(err)
	}
	rotated := cfg
	rotated.SecretKeyFile, rotated.PreviousSecretKeyFile = newKey, oldKey
	openClosed(t, rotated, func(n *app.Node) {
		if p := openWith(t, bytes.Repeat([]byte{9}, sealbox.KeySize), storedSecret(t, n)); p != "plain-secret" {
			t.Fatalf("after the rotation the secret opens to %q with the new key", p)
		}
	})

	if err := os.Chmod(newKey, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := app.Open(ctx, rotated); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("a 0644 key file: Open = %v, want a refusal", err)
	}
}

func openWith(t *testing.T, key []byte, sealed string) string {
	t.Helper()
	box, err := sealbox.New(key)
	if err != nil {
		t.Fatal(err)
	}
	plain, stale, err := box.Open(sealed)
	if err != nil || stale {
		t.Fatalf("open %q: stale %v, %v", sealed, stale, err)
	}
	return plain
}
