package service

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kilnhq/kiln/internal/auth"
	"github.com/kilnhq/kiln/internal/store"
	"github.com/kilnhq/kiln/internal/throttle"
)

// clock is a settable time for the limits (the tests call from one goroutine).
type clock struct{ now time.Time }

func (c *clock) Now() time.Time          { return c.now }
func (c *clock) advance(d time.Duration) { c.now = c.now.Add(d) }

// openStore opens a fresh SQLite store holding alice (alice-pw) and bob (bob-pw).
func openStore(t *testing.T) store.Store {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "kiln.db"), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	for _, login := range []string{"alice", "bob"} {
		hash, err := auth.HashPassword(login + "-pw")
		if err != nil {
			t.Fatal(err)
		}
		if err := st.CreateUser(ctx, &store.User{Login: login, PasswordHash: hash, Roles: auth.NewUserRoles(), Active: true}); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

// testUsers returns account use cases on st, with their own clock and the
// policy p, logging to log.
func testUsers(st store.Store, log io.Writer, p LoginPolicy) (*Users, *clock) {
	c := &clock{now: time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)}
	return NewUsers(st, Config{Now: c.Now, Login: p, Logger: slog.New(slog.NewTextHandler(log, nil))}), c
}

// mustLogIn fails the test unless login and password authenticate from addr.
func mustLogIn(t *testing.T, u *Users, login, password string, from netip.Addr) *Principal {
	t.Helper()
	p, err := u.Authenticate(context.Background(), login, password, from)
	if err != nil {
		t.Fatalf("%s from %s: %v", login, from, err)
	}
	return p
}

var (
	home  = netip.MustParseAddr("192.0.2.1")
	other = netip.MustParseAddr("198.51.100.7")
)

// wantKind fails unless err is a use-case error of kind k; it returns it.
func wantKind(t *testing.T, err error, k Kind) *Error {
	t.Helper()
	e, ok := AsError(err)
	if !ok || e.Kind != k {
		t.Fatalf("error %v, want kind %d", err, k)
	}
	return e
}

// After five failures a login is locked for 1 s, doubling with each failure
// after a lock; while locked even the right password is refused; a success
// resets; other logins are not affected. Each failure is logged, never with
// the password.
func TestLoginBackoff(t *testing.T) {
	ctx := context.Background()
	var log bytes.Buffer
	u, c := testUsers(openStore(t), &log, LoginPolicy{})
	for range 5 {
		_, err := u.Authenticate(ctx, "alice", "guess-secret", home)
		wantKind(t, err, KindForbidden)
	}
	for _, pw := range []string{"guess-secret", "alice-pw"} {
		_, err := u.Authenticate(ctx, "alice", pw, home)
		if e := wantKind(t, err, KindTooMany); e.RetryAfter != time.Second || e.ID != "auth.locked" {
			t.Errorf("locked: %s, retry after %v; want auth.locked, 1 s", e.ID, e.RetryAfter)
		}
	}
	mustLogIn(t, u, "bob", "bob-pw", home) // the same address, another login
	c.advance(time.Second)
	_, err := u.Authenticate(ctx, "alice", "guess-secret", home)
	wantKind(t, err, KindForbidden)
	_, err = u.Authenticate(ctx, "alice", "alice-pw", home)
	if e := wantKind(t, err, KindTooMany); e.RetryAfter != 2*time.Second {
		t.Errorf("after a sixth failure: retry after %v, want 2 s", e.RetryAfter)
	}
	c.advance(2 * time.Second)
	mustLogIn(t, u, "alice", "alice-pw", home) // the lock is over
	// The success reset the streak: four failures lock nothing.
	for range 4 {
		_, err := u.Authenticate(ctx, "alice", "guess-secret", home)
		wantKind(t, err, KindForbidden)
	}
	// Logins that do not exist are locked alike (else locks would tell which exist).
	for range 5 {
		_, err := u.Authenticate(ctx, "mallory", "x", other)
		wantKind(t, err, KindForbidden)
	}
	_, err = u.Authenticate(ctx, "mallory", "x", other)
	wantKind(t, err, KindTooMany)

	logs := log.String()
	if strings.Contains(logs, "guess-secret") || strings.Contains(logs, "alice-pw") {
		t.Errorf("a password is in the log:\n%s", logs)
	}
	for _, want := range []string{
		`level=WARN msg="failed login" login=alice from=192.0.2.1 reason="wrong password" locked_for=0s`,
		`level=WARN msg="failed login" login=alice from=192.0.2.1 reason="wrong password" locked_for=1s`,
		`level=WARN msg="failed login" login=alice from=192.0.2.1 reason="wrong password" locked_for=2s`,
		`level=WARN msg="failed login" login=mallory from=198.51.100.7 reason="unknown login" locked_for=1s`,
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("the log lacks %s:\n%s", want, logs)
		}
	}
	if n := strings.Count(logs, `msg="failed login"`); n != 15 {
		t.Errorf("%d failed logins logged, want 15 (the refused ones are not checked)", n)
	}
}

// An address may start ChecksPerMinute password checks a minute; verified
// credentials in the cache need none; an IPv6 /64 is one address.
func TestLoginRatePerAddress(t *testing.T) {
	ctx := context.Background()
	u, c := testUsers(openStore(t), io.Discard, LoginPolicy{ChecksPerMinute: 3})
	mustLogIn(t, u, "alice", "alice-pw", home)
	for _, login := range []string{"bob", "carol"} {
		u.Authenticate(ctx, login, "wrong", home)
	}
	_, err := u.Authenticate(ctx, "dave", "wrong", home)
	if e := wantKind(t, err, KindTooMany); e.ID != "auth.rate" || e.RetryAfter.Round(time.Millisecond) != 20*time.Second {
		t.Errorf("fourth check: %s, retry after %v; want auth.rate, 20 s", e.ID, e.RetryAfter)
	}
	for range 10 {
		mustLogIn(t, u, "alice", "alice-pw", home) // cached: no check
	}
	mustLogIn(t, u, "bob", "bob-pw", other)

	a, b := netip.MustParseAddr("2001:db8:1:2::1"), netip.MustParseAddr("2001:db8:1:2:ffff::9")
	for range 3 {
		u.Authenticate(ctx, "nobody", "x", a)
	}
	_, err = u.Authenticate(ctx, "nobody", "x", b)
	wantKind(t, err, KindTooMany)
	mustLogIn(t, u, "bob", "bob-pw", netip.MustParseAddr("2001:db8:1:3::1")) // the next /64
	c.advance(20 * time.Second)
	mustLogIn(t, u, "bob", "bob-pw", home) // a token later
}

// With every check slot taken past the wait, a login that needs a check gets
// a 503 to retry in a second; cached credentials still pass.
func TestLoginChecksBounded(t *testing.T) {
	ctx := context.Background()
	u, _ := testUsers(openStore(t), io.Discard, LoginPolicy{MaxChecks: 1})
	mustLogIn(t, u, "alice", "alice-pw", home)
	u.guard.checks = throttle.NewGate(1, 10*time.Millisecond)
	leave, err := u.guard.checks.Enter(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer leave()
	_, err = u.Authenticate(ctx, "bob", "bob-pw", other)
	if e := wantKind(t, err, KindUnavailable); e.RetryAfter != time.Second || !errors.Is(err, throttle.ErrBusy) {
		t.Errorf("busy: %v, retry after %v", err, e.RetryAfter)
	}
	mustLogIn(t, u, "alice", "alice-pw", home) // cached: no slot needed
	// Password changes hash under the same gate.
	p := &Principal{ID: 1, Login: "alice", Roles: auth.NewUserRoles(), password: true}
	_, err = u.UpdateUser(ctx, p, "alice", UserUpdate{Password: new("alice-new-pw")})
	wantKind(t, err, KindUnavailable)
}

// Two nodes on one database: a password changed through one stops the old
// password at once on the other, whose cache had verified it.
func TestCredentialCacheAcrossNodes(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	a, _ := testUsers(st, io.Discard, LoginPolicy{})
	b, _ := testUsers(st, io.Discard, LoginPolicy{})
	alice := mustLogIn(t, b, "alice", "alice-pw", home)
	if _, err := a.UpdateUser(ctx, alice, "alice", UserUpdate{Password: new("alice-new-pw")}); err != nil {
		t.Fatal(err)
	}
	_, err := b.Authenticate(ctx, "alice", "alice-pw", home)
	wantKind(t, err, KindForbidden)
	mustLogIn(t, b, "alice", "alice-new-pw", home)
	// Disabling on one node stops the other's cached credentials too.
	u, err := st.GetUser(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	u.Active = false
	if err := st.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	_, err = b.Authenticate(ctx, "alice", "alice-new-pw", home)
	wantKind(t, err, KindForbidden)
}

// Checks at once leave a CPU to the rest of the server, within 1 to 4.
func TestDefaultMaxChecks(t *testing.T) {
	for cpus, want := range map[int]int{1: 1, 2: 1, 3: 2, 5: 4, 64: 4} {
		if got := defaultMaxChecks(cpus); got != want {
			t.Errorf("%d CPUs: %d checks at once, want %d", cpus, got, want)
		}
	}
}
