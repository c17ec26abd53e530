package auth

import (
	"crypto/rand"
	"crypto/sha512"
	"crypto/subtle"
	"fmt"
	"strings"
)

// SHA-512 crypt ("$6$", Ulrich Drepper's specification) is the password hash
// format of /etc/shadow on Debian. Kiln stores image passwords only in this form,
// so a clear-text password from a template never reaches the database or a spec.

const cryptAlphabet = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// cryptRounds is the specification's default (written implicitly, without "rounds=").
const cryptRounds = 5000

// ShadowHash returns the SHA-512 crypt hash of password with a random 16-character salt.
func ShadowHash(password string) (string, error) {
	raw := make([]byte, 16)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("shadow hash: %w", err)
	}
	salt := make([]byte, 16)
	for i, b := range raw {
		salt[i] = cryptAlphabet[int(b)%len(cryptAlphabet)]
	}
	return SHA512Crypt(password, string(salt)), nil
}

// IsShadowHash reports whether s looks like a crypt(3) hash rather than a clear password.
func IsShadowHash(s string) bool {
	for _, p := range []string{"$6$", "$5$", "$y$", "$2b$", "$2y$", "$1$"} {
		if strings.HasPrefix(s, p) && strings.Count(s, "$") >= 3 {
			return true
		}
	}
	return false
}

// SHA512Crypt computes "$6$salt$hash" for password (salt truncated to 16 characters).
func SHA512Crypt(password, salt string) string {
	if len(salt) > 16 {
		salt = salt[:16]
	}
	pw, s := []byte(password), []byte(salt)

	b := sha512.New()
	b.Write(pw)
	b.Write(s)
	b.Write(pw)
	sumB := b.Sum(nil)

	a := sha512.New()
	a.Write(pw)
	a.Write(s)
	for n := len(pw); n > 0; n -= 64 {
		a.Write(sumB[:min(n, 64)])
	}
	for n := len(pw); n > 0; n >>= 1 {
		if n&1 == 1 {
			a.Write(sumB)
		} else {
			a.Write(pw)
		}
	}
	sumA := a.Sum(nil)

	dp := sha512.New()
	for range pw {
		dp.Write(pw)
	}
	p := repeatTo(dp.Sum(nil), len(pw))

	ds := sha512.New()
	for range 16 + int(sumA[0]) {
		ds.Write(s)
	}
	sb := repeatTo(ds.Sum(nil), len(s))

	c := sumA
	for i := range cryptRounds {
		h := sha512.New()
		if i&1 == 1 {
			h.Write(p)
		} else {
			h.Write(c)
		}
		if i%3 != 0 {
			h.Write(sb)
		}
		if i%7 != 0 {
			h.Write(p)
		}
		if i&1 == 1 {
			h.Write(c)
		} else {
			h.Write(p)
		}
		c = h.Sum(nil)
	}

	var out strings.Builder
	out.WriteString("$6$" + salt + "$")
	for i := 0; i < 21; i++ {
		// The specification's byte permutation: (i, i+21, i+42) rotated per group.
		x, y, z := i, i+21, i+42
		switch i % 3 {
		case 1:
			x, y, z = i+21, i+42, i
		case 2:
			x, y, z = i+42, i, i+21
		}
		encode24(&out, c[x], c[y], c[z], 4)
	}
	encode24(&out, 0, 0, c[63], 2)
	return out.String()
}

func encode24(out *strings.Builder, b2, b1, b0 byte, n int) {
	w := uint(b2)<<16 | uint(b1)<<8 | uint(b0)
	for range n {
		out.WriteByte(cryptAlphabet[w&0x3f])
		w >>= 6
	}
}

func repeatTo(src []byte, n int) []byte {
	out := make([]byte, 0, n)
	for len(out) < n {
		out = append(out, src[:min(len(src), n-len(out))]...)
	}
	return out
}

// VerifyShadow reports whether password matches a "$6$salt$hash" SHA-512 crypt hash.
func VerifyShadow(password, hash string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 4 || parts[1] != "6" || strings.HasPrefix(parts[2], "rounds=") {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(SHA512Crypt(password, parts[2])), []byte(hash)) == 1
}
