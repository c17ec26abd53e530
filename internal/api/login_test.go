package api_test

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/kilnhq/kiln/internal/api"
	"github.com/kilnhq/kiln/internal/service"
)

// Thirty wrong passwords in a row lock the login: the first five get 401, the
// rest, and then the right password, 429 with Retry-After. Other logins from
// the same address are not affected.
func TestLoginLockout(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	alice := e.createUser("alice", "alice-pw")
	bob := e.createUser("bob", "bob-pw")
	guesser := e.as("alice", "guess")
	for i := 1; i <= 30; i++ {
		r := guesser.do("GET", "/users/alice", "")
		if i <= 5 {
			r.uforgeError(401, "wrong login or password")
			continue
		}
		r.uforgeError(429, "this login is locked")
		if ra := r.header.Get("Retry-After"); ra != "1" {
			t.Fatalf("guess %d: Retry-After %q, want 1 (the first lock)", i, ra)
		}
	}
	r := alice.withJSON().do("GET", "/users/alice", "").uforgeError(429, "this login is locked")
	if r.header.Get("Retry-After") == "" {
		t.Error("the right password during the lock: no Retry-After")
	}
	bob.do("GET", "/users/bob", "").expect(200).has("<loginName>bob</loginName>")
}

// Two API nodes on one database: alice's credentials, verified (and cached)
// by the second, stop working there as soon as she changes her password
// through the first.
func TestPasswordChangeReachesOtherNodes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.createUser("alice", "alice-pw")
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	second := httptest.NewServer(api.New(service.New(e.st, nil, nil, service.ScanConfig{}, service.Config{Logger: quiet}),
		api.Config{PublicURL: "http://kiln.test/api", Version: "3.8.13", Logger: quiet}))
	t.Cleanup(second.Close)
	other := *e
	other.srv = second
	other.as("alice", "alice-pw").do("GET", "/users/alice", "").expect(200)

	e.as("alice", "alice-pw").do("PUT", "/users/alice", `<ns0:user `+ns+`><password>alice-new-pw</password></ns0:user>`).expect(200)
	other.as("alice", "alice-pw").do("GET", "/users/alice", "").uforgeError(401, "wrong login or password")
	other.as("alice", "alice-new-pw").do("GET", "/users/alice", "").expect(200)
}
