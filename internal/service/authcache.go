package service

import (
	"crypto/sha256"
	"sync"
	"time"
)

// authCache remembers recently verified Basic credentials so that clients polling
// every two seconds do not pay a 64 MiB argon2id derivation per request. Keys are
// a SHA-256 of login and password, never the password itself; entries expire
// after ttl and are dropped when the user's password or roles change.
type authCache struct {
	mu      sync.Mutex
	ttl     time.Duration
	max     int
	entries map[[32]byte]cachedAuth
}

type cachedAuth struct {
	userID  int64
	expires time.Time
}

func newAuthCache(ttl time.Duration, max int) *authCache {
	return &authCache{ttl: ttl, max: max, entries: map[[32]byte]cachedAuth{}}
}

func credentialKey(login, password string) [32]byte {
	return sha256.Sum256([]byte(login + "\x00" + password))
}

func (c *authCache) get(login, password string, now time.Time) (int64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[credentialKey(login, password)]
	if !ok || now.After(e.expires) {
		return 0, false
	}
	return e.userID, true
}

func (c *authCache) put(login, password string, userID int64, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= c.max {
		for k, e := range c.entries { // drop expired entries, then anything
			if now.After(e.expires) || len(c.entries) >= c.max {
				delete(c.entries, k)
			}
		}
	}
	c.entries[credentialKey(login, password)] = cachedAuth{userID: userID, expires: now.Add(c.ttl)}
}

// forget drops every entry of a user (password or roles changed).
func (c *authCache) forget(userID int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.entries {
		if e.userID == userID {
			delete(c.entries, k)
		}
	}
}
