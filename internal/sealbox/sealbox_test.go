package sealbox

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func testKey(b byte) []byte { return bytes.Repeat([]byte{b}, KeySize) }

func TestSealOpenRoundTrip(t *testing.T) {
	box, err := New(testKey(1))
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := box.Seal("s3cret-value")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(sealed, "v1:") || strings.Contains(sealed, "s3cret") {
		t.Fatalf("sealed form %q", sealed)
	}
	again, _ := box.Seal("s3cret-value")
	if again == sealed {
		t.Fatal("two seals of one secret are equal: the nonce is not random")
	}
	plain, stale, err := box.Open(sealed)
	if err != nil || plain != "s3cret-value" || stale {
		t.Fatalf("Open = %q, %v, %v", plain, stale, err)
	}
}

func TestOpenLegacyPlaintext(t *testing.T) {
	box, _ := New(testKey(1))
	plain, stale, err := box.Open("plain-secret")
	if err != nil || plain != "plain-secret" || !stale {
		t.Fatalf("Open = %q, %v, %v; want the plaintext, stale", plain, stale, err)
	}
}

func TestOpenDetectsTampering(t *testing.T) {
	box, _ := New(testKey(1))
	sealed, _ := box.Seal("s3cret-value")
	raw, _ := base64.RawURLEncoding.DecodeString(sealed[3:])
	raw[len(raw)-1] ^= 1
	for _, v := range []string{
		"v1:" + base64.RawURLEncoding.EncodeToString(raw),
		"v1:not base64!",
		"v1:AAAA",
	} {
		if _, _, err := box.Open(v); !errors.Is(err, ErrOpen) {
			t.Errorf("Open(%q) = %v, want ErrOpen", v, err)
		}
	}
}

func TestOpenWrongKeyAndRotation(t *testing.T) {
	old, _ := New(testKey(1))
	sealed, _ := old.Seal("s3cret-value")
	other, _ := New(testKey(2))
	if _, _, err := other.Open(sealed); !errors.Is(err, ErrOpen) {
		t.Fatalf("wrong key: %v, want ErrOpen", err)
	}
	rotated, _ := New(testKey(2), testKey(1))
	plain, stale, err := rotated.Open(sealed)
	if err != nil || plain != "s3cret-value" || !stale {
		t.Fatalf("previous key: %q, %v, %v; want the secret, stale", plain, stale, err)
	}
	if _, err := New(testKey(1)[:16]); err == nil {
		t.Fatal("a 16-byte key was accepted")
	}
}

func TestKeyFileGeneratedPrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secret.key")
	if _, err := LoadKeyFile(path, false); err == nil {
		t.Fatal("a missing key file was accepted without create")
	}
	key, err := LoadKeyFile(path, true)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 || fi.Size() != KeySize || len(key) != KeySize {
		t.Fatalf("key file mode %v size %d", fi.Mode().Perm(), fi.Size())
	}
	again, err := LoadKeyFile(path, true)
	if err != nil || !bytes.Equal(again, key) {
		t.Fatalf("second start: %v; the key must be the one generated first", err)
	}
}

func TestKeyFileRefused(t *testing.T) {
	dir := t.TempDir()
	open := filepath.Join(dir, "open.key")
	if err := os.WriteFile(open, testKey(1), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o644); err != nil { // whatever the umask
		t.Fatal(err)
	}
	if _, err := LoadKeyFile(open, true); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("0644 key file: %v", err)
	}
	short := filepath.Join(dir, "short.key")
	if err := os.WriteFile(short, testKey(1)[:20], 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadKeyFile(short, true); err == nil || !strings.Contains(err.Error(), "32 bytes") {
		t.Fatalf("20-byte key file: %v", err)
	}
}
