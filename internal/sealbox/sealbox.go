// Package sealbox seals short secrets (API-key secrets) for storage with
// AES-256-GCM under a server key kept outside the database, so that a copy
// of the database alone reveals none of them. Kiln must still read them back:
// verifying an HMAC signature needs the secret itself, which rules out a hash.
package sealbox

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// KeySize is the length of a key: AES-256.
const KeySize = 32

// prefix marks a sealed value and its format, so that values written before
// sealing existed (plaintext) are told apart and a later format can coexist.
const prefix = "v1:"

const nonceSize = 12

// ErrOpen is returned when no key opens a sealed value: another server key,
// or a value altered in the database.
var ErrOpen = errors.New("sealbox: sealed value does not open with this server key")

// Box seals with its current key and opens with it or with a previous one
// (during a key rotation).
type Box struct {
	current  cipher.AEAD
	previous []cipher.AEAD
}

// New returns a Box sealing with current and also opening what previous keys sealed.
func New(current []byte, previous ...[]byte) (*Box, error) {
	b := &Box{}
	var err error
	if b.current, err = newAEAD(current); err != nil {
		return nil, err
	}
	for _, k := range previous {
		a, err := newAEAD(k)
		if err != nil {
			return nil, err
		}
		b.previous = append(b.previous, a)
	}
	return b, nil
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("sealbox: key is %d bytes, want %d", len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("sealbox: %w", err)
	}
	return cipher.NewGCM(block)
}

// Seal returns "v1:" + base64url(nonce || ciphertext) of plain.
func (b *Box) Seal(plain string) (string, error) {
	nonce := make([]byte, nonceSize, nonceSize+len(plain)+b.current.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("sealbox: nonce: %w", err)
	}
	out := b.current.Seal(nonce, nonce, []byte(plain), nil)
	return prefix + base64.RawURLEncoding.EncodeToString(out), nil
}

// Sealed reports whether v is in the sealed form (as opposed to plaintext
// written before sealing existed).
func Sealed(v string) bool { return strings.HasPrefix(v, prefix) }

// Open returns the secret in v. A value without the "v1:" prefix is a legacy
// plaintext secret and is returned as is; stale then reports true, as it does
// when only a previous key opened v: the caller should seal it again.
func (b *Box) Open(v string) (plain string, stale bool, err error) {
	if !Sealed(v) {
		return v, true, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(v[len(prefix):])
	if err != nil || len(raw) < nonceSize {
		return "", false, ErrOpen
	}
	nonce, ct := raw[:nonceSize], raw[nonceSize:]
	if p, err := b.current.Open(nil, nonce, ct, nil); err == nil {
		return string(p), false, nil
	}
	for _, a := range b.previous {
		if p, err := a.Open(nil, nonce, ct, nil); err == nil {
			return string(p), true, nil
		}
	}
	return "", false, ErrOpen
}
