package auth

import (
	"encoding/base64"
	"encoding/hex"
	"net/url"
	"strings"
	"testing"
)

func TestPasswordHashRoundTrip(t *testing.T) {
	h, err := HashPassword("s3cret")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$") {
		t.Fatalf("unexpected hash format %q", h)
	}
	if err := CheckPassword(h, "s3cret"); err != nil {
		t.Fatalf("good password refused: %v", err)
	}
	if err := CheckPassword(h, "S3cret"); err != ErrMismatch {
		t.Fatalf("bad password: got %v, want ErrMismatch", err)
	}
	h2, _ := HashPassword("s3cret")
	if h == h2 {
		t.Fatal("two hashes of one password are equal: salt missing")
	}
	if err := CheckPassword("$2a$10$xyz", "x"); err == nil || err == ErrMismatch {
		t.Fatalf("foreign hash format must be an error, got %v", err)
	}
}

func TestSignURLVerifies(t *testing.T) {
	signed, err := SignURL("http://kiln:8080/api/users/john/appliances?query=name%3D%3D'x'", "/api", "PUB", "SECRET")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(signed)
	sig := u.Query().Get("signature")
	if !VerifyRequest("SECRET", sig, "/api", u.EscapedPath(), u.RawQuery, signed) {
		t.Fatal("canonical signature rejected")
	}
	if VerifyRequest("OTHER", sig, "/api", u.EscapedPath(), u.RawQuery, signed) {
		t.Fatal("signature accepted with the wrong secret")
	}
	// Tampering with the query invalidates it.
	tampered := strings.Replace(u.RawQuery, "x", "y", 1)
	if VerifyRequest("SECRET", sig, "/api", u.EscapedPath(), tampered, signed) {
		t.Fatal("tampered query accepted")
	}
}

// The documentation's diagram signs the relative path and base64-encodes the hex digest.
func TestVerifyAcceptsDocumentedVariants(t *testing.T) {
	rel := "users/myUser/appliances?apiKey=PUB"
	hexSig := base64.StdEncoding.EncodeToString([]byte(hex.EncodeToString(mac("S", rel))))
	if len(hexSig) != 56 {
		t.Fatalf("hex variant should be 56 chars, got %d", len(hexSig))
	}
	if !VerifyRequest("S", hexSig, "/api", "/api/users/myUser/appliances", "apiKey=PUB&signature=x", "") {
		t.Fatal("hex-digest variant rejected")
	}
	full := "http://10.1.2.206/api/users/myUser?apiKey=PUB"
	rawFull := Sign("S", full)
	if len(rawFull) != 28 {
		t.Fatalf("raw variant should be 28 chars, got %d", len(rawFull))
	}
	if !VerifyRequest("S", rawFull, "/api", "/api/users/myUser", "apiKey=PUB&signature=x", full+"&signature=x") {
		t.Fatal("full-URL variant rejected")
	}
}

// Reference values from the SHA-crypt specification and `openssl passwd -6`.
func TestSHA512CryptVectors(t *testing.T) {
	got := SHA512Crypt("Hello world!", "saltstring")
	want := "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1"
	if got != want {
		t.Fatalf("SHA512Crypt = %s\nwant           %s", got, want)
	}
	if got := SHA512Crypt("kiln", "abcdefgh"); got != "$6$abcdefgh$ZPXnXHOcQXSL3RjI5ZQR9en1a9G2XRklKuaOK2iCbbOMYNCqR6wzLtvvA87O1RTSZZTY5QgMb9f7NNrcc5zoW0" {
		t.Fatalf("SHA512Crypt(kiln) = %s", got)
	}
	h, err := ShadowHash("kiln")
	if err != nil || !IsShadowHash(h) || len(h) != 3+16+1+86 {
		t.Fatalf("ShadowHash = %q, %v", h, err)
	}
	if !VerifyShadow("kiln", h) || VerifyShadow("nope", h) {
		t.Fatal("VerifyShadow does not check the password")
	}
	if IsShadowHash("kiln") {
		t.Fatal("a clear password taken for a hash")
	}
}
