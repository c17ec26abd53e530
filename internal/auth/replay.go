package auth

import (
	"crypto/sha256"
	"errors"
	"sync"
	"time"
)

// ErrReplayCacheFull means a node has accepted more v1 signatures within
// MaxSkew than it can remember; the request should be retried later.
var ErrReplayCacheFull = errors.New("too many signed requests in the last minutes: retry later")

// ReplayGuard remembers the v1 signatures a node accepted until their
// timestamp leaves the accepted window, so that a captured request cannot be
// sent again within it. It is per node: with several nodes behind one address
// a replay to another node within the window goes through, which bounds the
// exposure to MaxSkew rather than closing it. Only verified signatures enter
// it, so only key holders can fill it; when full it refuses rather than forgets.
type ReplayGuard struct {
	mu   sync.Mutex
	max  int
	seen map[[32]byte]time.Time // signature digest → when it leaves the window
}

// NewReplayGuard returns a guard remembering at most max signatures.
func NewReplayGuard(max int) *ReplayGuard {
	return &ReplayGuard{max: max, seen: map[[32]byte]time.Time{}}
}

// first records signature, valid until until, and reports whether it is new.
func (g *ReplayGuard) first(publicKey, signature string, until, now time.Time) (bool, error) {
	k := sha256.Sum256([]byte(publicKey + "\n" + signature))
	g.mu.Lock()
	defer g.mu.Unlock()
	if exp, ok := g.seen[k]; ok && now.Before(exp) {
		return false, nil
	}
	if len(g.seen) >= g.max {
		for s, exp := range g.seen {
			if !now.Before(exp) {
				delete(g.seen, s)
			}
		}
		if len(g.seen) >= g.max {
			return false, ErrReplayCacheFull
		}
	}
	g.seen[k] = until
	return true, nil
}
