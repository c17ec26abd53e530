package api_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kilnhq/kiln/internal/sealbox"
	"github.com/kilnhq/kiln/internal/store"
)

// The api_keys row holds the sealed secret, never the one shown at creation,
// and a signature made with the shown secret still authenticates.
func TestAPIKeySecretSealedAtRest(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, id, pub, secret := keyedAlice(e)
	row, err := e.st.GetAPIKeyByPublic(context.Background(), pub)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(row.SecretKey, secret) || !strings.HasPrefix(row.SecretKey, "v1:") {
		t.Fatalf("stored secret %q: want the sealed form, without the secret", row.SecretKey)
	}
	fi, err := os.Stat(filepath.Join(e.dir, "secret.key"))
	if err != nil || fi.Mode().Perm() != 0o600 || fi.Size() != sealbox.KeySize {
		t.Fatalf("server key file: %v, %v", fi, err)
	}
	path, hdr := e.v1("GET", "/users/alice/appliances/"+id, "", pub, secret, time.Now())
	e.anonymous().doRaw("GET", path, "", hdr).expect(200).has("<name>web</name>")
}

// A plaintext secret written before sealing existed still authenticates, and
// the start-time pass (SealAPIKeySecrets) seals it without changing the key.
func TestAPIKeyLegacyPlaintextSecret(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, id, _, _ := keyedAlice(e)
	ctx := context.Background()
	alice, err := e.st.GetUser(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	legacy := &store.APIKey{UserID: alice.ID, Name: "old", PublicKey: "legacy-pub", SecretKey: "legacy-secret"}
	if err := e.st.CreateAPIKey(ctx, legacy); err != nil {
		t.Fatal(err)
	}
	anon := e.anonymous()
	path, hdr := e.v1("GET", "/users/alice/appliances/"+id, "", "legacy-pub", "legacy-secret", time.Now())
	anon.doRaw("GET", path, "", hdr).expect(200)

	sealed, unopened, err := e.svc.Users.SealAPIKeySecrets(ctx)
	if err != nil || sealed != 1 || unopened != 0 {
		t.Fatalf("SealAPIKeySecrets = %d sealed, %d unopened, %v; want 1, 0", sealed, unopened, err)
	}
	row, err := e.st.GetAPIKeyByPublic(ctx, "legacy-pub")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(row.SecretKey, "v1:") || strings.Contains(row.SecretKey, "legacy-secret") {
		t.Fatalf("after the start pass the row holds %q", row.SecretKey)
	}
	path, hdr = e.v1("GET", "/users/alice/appliances/"+id, "", "legacy-pub", "legacy-secret", time.Now())
	anon.doRaw("GET", path, "", hdr).expect(200)
	if again, _, _ := e.svc.Users.SealAPIKeySecrets(ctx); again != 0 {
		t.Fatalf("a second pass sealed %d secrets again", again)
	}
}

// A secret sealed under another server key is an unknown key: 401, not a 500
// or a panic, and the start pass counts it without failing.
func TestAPIKeySealedWithAnotherKey(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, id, pub, secret := keyedAlice(e)
	ctx := context.Background()
	other, err := sealbox.New(bytes.Repeat([]byte{7}, sealbox.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := other.Seal(secret)
	if err != nil {
		t.Fatal(err)
	}
	row, err := e.st.GetAPIKeyByPublic(ctx, pub)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := e.st.ReplaceAPIKeySecret(ctx, row.ID, row.SecretKey, foreign); err != nil || !ok {
		t.Fatalf("replace secret: %v, %v", ok, err)
	}
	path, hdr := e.v1("GET", "/users/alice/appliances/"+id, "", pub, secret, time.Now())
	e.anonymous().doRaw("GET", path, "", hdr).uforgeError(401, "unknown API key or bad signature")
	if sealed, unopened, err := e.svc.Users.SealAPIKeySecrets(ctx); err != nil || sealed != 0 || unopened != 1 {
		t.Fatalf("SealAPIKeySecrets = %d sealed, %d unopened, %v; want 0, 1", sealed, unopened, err)
	}
}
