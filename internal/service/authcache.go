package service

import (
	"crypto/sha256"
	"sync"
	"time"

	"github.com/kilnhq/kiln/internal/store"
)

// authCache remembers recently verified Basic credentials so that clients polling
// every two seconds do not pay an argon2id derivation per request. Keys are a
// SHA-256 of login and password, never the password itself; entries expire
// after ttl.
//
// An entry also holds the stored hash the password was verified against, and
// counts only while the user read from the database on each request still has
// that hash. Nodes sharing a database each have their own cache, and this is
// what makes a password change on one node void the entries of every other at
// once, at the price of the user read that authorisation needs anyway: no
// message between nodes, no extra column.
type authCache struct {
	mu      sync.Mutex
	ttl     time.Duration
	max     int
	entries map[[32]byte]cachedAuth
}

type cachedAuth struct {
	userID  int64
	hash    string // the stored password hash the password matched
	expires time.Time
}

func newAuthCache(ttl time.Duration, max int) *authCache {
	return &authCache{ttl: ttl, max: max, entries: map[[32]byte]cachedAuth{}}
}

func credentialKey(login, password string) [32]byte {
	return sha256.Sum256([]byte(login + "\x00" + password))
}

// get returns the unexpired entry of login and password, if any.
func (c *authCache) get(login, password string, now time.Time) (cachedAuth, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[credentialKey(login, password)]
	return e, ok && !now.After(e.expires)
}

// still reports whether the entry holds for u as stored now.
func (e cachedAuth) still(u *store.User) bool {
	return e.userID == u.ID && e.hash == u.PasswordHash
}

// put remembers that password matched u's stored hash.
func (c *authCache) put(login, password string, u *store.User, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= c.max {
		for k, e := range c.entries { // drop expired entries, then anything
			if now.After(e.expires) || len(c.entries) >= c.max {
				delete(c.entries, k)
			}
		}
	}
	c.entries[credentialKey(login, password)] = cachedAuth{userID: u.ID, hash: u.PasswordHash, expires: now.Add(c.ttl)}
}
