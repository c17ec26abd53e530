package configure

import (
	"crypto/rand"
	"crypto/sha512"
	"fmt"
	"strconv"
	"strings"
)

// SHA-512 crypt ("$6$"), as specified by Ulrich Drepper ("Unix crypt using SHA-256
// and SHA-512", the algorithm glibc's crypt(3) implements). Written here because
// golang.org/x/crypto has no crypt(3) and running openssl per password would mean
// a process (and the password on its command line) for every account.

const cryptAlphabet = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

const (
	sha512DefaultRounds = 5000
	sha512MinRounds     = 1000
	sha512MaxRounds     = 999999999
	sha512MaxSalt       = 16
)

// HashPassword returns the SHA-512 crypt hash of password with a fresh random salt
// and the default 5000 rounds, in the "$6$salt$hash" form /etc/shadow takes.
func HashPassword(password string) (string, error) {
	salt := make([]byte, sha512MaxSalt)
	buf := make([]byte, sha512MaxSalt)
	if _, err := rand.Read(buf); err != nil {
		return "", fmt.Errorf("password salt: %w", err)
	}
	for i, b := range buf {
		salt[i] = cryptAlphabet[int(b)%len(cryptAlphabet)]
	}
	return sha512Crypt(password, "$6$"+string(salt))
}

// sha512Crypt hashes password with the setting "$6$[rounds=N$]salt[$…]".
func sha512Crypt(password, setting string) (string, error) {
	if !strings.HasPrefix(setting, "$6$") {
		return "", fmt.Errorf("not a SHA-512 crypt setting")
	}
	rest := setting[3:]
	rounds, custom := sha512DefaultRounds, false
	if strings.HasPrefix(rest, "rounds=") {
		end := strings.IndexByte(rest, '$')
		if end < 0 {
			return "", fmt.Errorf("malformed rounds in crypt setting")
		}
		n, err := strconv.Atoi(rest[len("rounds="):end])
		if err != nil {
			return "", fmt.Errorf("malformed rounds in crypt setting: %w", err)
		}
		rounds = min(max(n, sha512MinRounds), sha512MaxRounds)
		custom = true
		rest = rest[end+1:]
	}
	salt := rest
	if i := strings.IndexByte(salt, '$'); i >= 0 {
		salt = salt[:i]
	}
	if len(salt) > sha512MaxSalt {
		salt = salt[:sha512MaxSalt]
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
		if n&1 != 0 {
			a.Write(sumB)
		} else {
			a.Write(pw)
		}
	}
	sumA := a.Sum(nil)

	dp := sha512.New()
	for range len(pw) {
		dp.Write(pw)
	}
	p := repeatTo(dp.Sum(nil), len(pw))

	ds := sha512.New()
	for range 16 + int(sumA[0]) {
		ds.Write(s)
	}
	sBytes := repeatTo(ds.Sum(nil), len(s))

	c := sumA
	for i := range rounds {
		h := sha512.New()
		if i&1 != 0 {
			h.Write(p)
		} else {
			h.Write(c)
		}
		if i%3 != 0 {
			h.Write(sBytes)
		}
		if i%7 != 0 {
			h.Write(p)
		}
		if i&1 != 0 {
			h.Write(c)
		} else {
			h.Write(p)
		}
		c = h.Sum(nil)
	}

	var out strings.Builder
	out.WriteString("$6$")
	if custom {
		fmt.Fprintf(&out, "rounds=%d$", rounds)
	}
	out.WriteString(salt)
	out.WriteByte('$')
	// The digest bytes are emitted in this permuted order, 3 bytes → 4 chars.
	order := [][3]int{
		{0, 21, 42}, {22, 43, 1}, {44, 2, 23}, {3, 24, 45}, {25, 46, 4}, {47, 5, 26}, {6, 27, 48},
		{28, 49, 7}, {50, 8, 29}, {9, 30, 51}, {31, 52, 10}, {53, 11, 32}, {12, 33, 54}, {34, 55, 13},
		{56, 14, 35}, {15, 36, 57}, {37, 58, 16}, {59, 17, 38}, {18, 39, 60}, {40, 61, 19}, {62, 20, 41},
	}
	for _, o := range order {
		b64From24(&out, c[o[0]], c[o[1]], c[o[2]], 4)
	}
	b64From24(&out, 0, 0, c[63], 2)
	return out.String(), nil
}

func repeatTo(block []byte, n int) []byte {
	out := make([]byte, 0, n)
	for len(out)+len(block) <= n {
		out = append(out, block...)
	}
	return append(out, block[:n-len(out)]...)
}

func b64From24(out *strings.Builder, b2, b1, b0 byte, n int) {
	w := uint(b2)<<16 | uint(b1)<<8 | uint(b0)
	for range n {
		out.WriteByte(cryptAlphabet[w&0x3f])
		w >>= 6
	}
}
