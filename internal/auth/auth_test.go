package auth

import (
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
