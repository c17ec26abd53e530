package service

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"runtime"
	"time"

	"github.com/kilnhq/kiln/internal/throttle"
)

// LoginPolicy bounds what callers without valid credentials can make a node
// spend on password checks: each argon2id check takes ~19 MiB and tens of
// milliseconds of CPU, and nothing else stands in front of it.
type LoginPolicy struct {
	// MaxChecks is how many password checks (and hashings) run at once on the
	// node; beyond it a caller waits up to a second, then gets a 503.
	// 0: one less than the CPUs, between 1 and 4 (defaultMaxChecks).
	MaxChecks int
	// ChecksPerMinute is how many password checks one client address may
	// start: a burst of as many, refilled over a minute. Requests whose
	// credentials were verified recently (the credential cache) need none.
	// 0: 60.
	ChecksPerMinute int
	// FreeFailures is how many consecutive failed logins one login may have;
	// the last of them locks it for a second, and each further failure
	// doubles the lock, up to 5 minutes. A success resets. 0: 5.
	FreeFailures int
}

const (
	checkWait     = time.Second     // longest wait for a check slot before a 503
	firstLock     = time.Second     // lock after the last free failure
	longestLock   = 5 * time.Minute // cap of the doubling
	failureMemory = time.Hour       // failures further apart than this are no streak
	// maxTracked bounds the addresses, and the logins, whose state is kept
	// (a few hundred bytes each: some MiB at worst); the least recently seen
	// are forgotten first, so a login under attack stays.
	maxTracked = 1 << 14
	// maxLoginKey is the longest valid login (loginRe): longer ones cannot
	// exist, so they may share their state and cannot bloat it.
	maxLoginKey = 64
)

// loginGuard holds a node's limits on password checks. Its state is the
// node's own: with several nodes an attacker gets each node's allowance,
// which still bounds every node's memory and each login's guessing rate.
type loginGuard struct {
	checks *throttle.Gate
	addrs  *throttle.Rates[netip.Prefix]
	logins *throttle.Backoff[string]
}

func newLoginGuard(p LoginPolicy) *loginGuard {
	if p.MaxChecks <= 0 {
		p.MaxChecks = defaultMaxChecks(runtime.GOMAXPROCS(0))
	}
	if p.ChecksPerMinute <= 0 {
		p.ChecksPerMinute = 60
	}
	if p.FreeFailures <= 0 {
		p.FreeFailures = 5
	}
	return &loginGuard{
		checks: throttle.NewGate(p.MaxChecks, checkWait),
		addrs:  throttle.NewRates[netip.Prefix](p.ChecksPerMinute, maxTracked),
		logins: throttle.NewBackoff[string](throttle.BackoffPolicy{Free: p.FreeFailures, First: firstLock,
			Longest: longestLock, Idle: failureMemory, MaxKeys: maxTracked}),
	}
}

// defaultMaxChecks leaves a CPU to everything else: a check is CPU-bound, so
// more checks than CPUs add no throughput, only memory and latency. On 2
// CPUs, 500 concurrent bad logins with 4 checks at once took the server to
// ~215 MiB and a polling client's p99 to 90-340 ms; with 1, to ~100 MiB and
// 27-73 ms, with as many checks done. At most 4 (~76 MiB) is plenty once
// the credential cache spares polling clients.
func defaultMaxChecks(cpus int) int {
	return min(max(cpus-1, 1), 4)
}

// locked refuses a login that is locked at now.
func (g *loginGuard) locked(login string, now time.Time) error {
	if wait := g.logins.Locked(login, now); wait > 0 {
		return tooMany(wait, "auth.locked", "too many failed logins: this login is locked for %s", seconds(wait))
	}
	return nil
}

// busy turns a failure to get a check slot into the caller's answer.
func busy(err error) error {
	if errors.Is(err, throttle.ErrBusy) {
		return &Error{Kind: KindUnavailable, ID: "auth.busy", Msg: "the server is busy checking passwords; retry in a second",
			RetryAfter: time.Second, Err: err}
	}
	return fmt.Errorf("password check: %w", err)
}

func tooMany(wait time.Duration, id, format string, args ...any) *Error {
	return &Error{Kind: KindTooMany, ID: id, Msg: fmt.Sprintf(format, args...), RetryAfter: wait}
}

// seconds writes d in whole seconds, rounded up: "3 s".
func seconds(d time.Duration) string {
	return fmt.Sprintf("%.0f s", math.Ceil(d.Seconds()))
}

// loginKey is the key of a login in the guard (and the form logged).
func loginKey(login string) string {
	if len(login) > maxLoginKey {
		return login[:maxLoginKey]
	}
	return login
}

// addressKey is the bucket of a client address: an IPv4 address alone, an
// IPv6 one by its /64, the block a single host or customer usually holds (one
// attacker must not get a fresh bucket from each address of its /64). Callers
// without an address (in-process ones) share the zero key.
func addressKey(a netip.Addr) netip.Prefix {
	a = a.Unmap()
	bits := a.BitLen()
	if a.Is6() {
		bits = 64
	}
	p, _ := a.Prefix(bits)
	return p
}
