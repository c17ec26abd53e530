package api_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kilnhq/kiln/internal/store"
)

// TestAdversarialFIQL sends hostile ?query= expressions to the searches
// (appliances in the store's rows, packages in SQL): each is answered within
// bounded time, refused when it is malformed or too deep, and changes nothing.
func TestAdversarialFIQL(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	alice := e.createUser("alice", "alice-pw")
	alice.do("POST", "/users/alice/appliances", applianceXML("web", "1.0")).expect(201)
	alice.do("POST", "/users/alice/appliances", applianceXML(strings.Repeat("a", 200), "1.0")).expect(201)
	// A name made of the letter the wildcards look for is the worst case of
	// a backtracking matcher: every '*' could stop at every 'a'.
	if err := e.st.ReplacePackages(context.Background(), 3, []store.Package{{Name: strings.Repeat("a", 200), Version: "1", Arch: "amd64"}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	before := e.holdings("alice")
	terms := make([]string, 2000)
	for i := range terms {
		terms[i] = "name==web" + itoa(i)
	}
	stars := "'" + strings.Repeat("*a", 1000) + "*b'"
	for _, h := range []struct {
		name, path, query string
		status            int
		fragment          string
	}{
		{name: "2k nested parentheses", path: "/users/alice/appliances", status: 400, fragment: "nested too deeply",
			query: strings.Repeat("(", 2_000) + "name==web" + strings.Repeat(")", 2_000)},
		{name: "2k unclosed parentheses", path: "/users/alice/appliances", status: 400, fragment: "nested too deeply",
			query: strings.Repeat("(", 2_000)},
		{name: "10k nested parentheses", path: "/users/alice/appliances", status: 400, fragment: "longer than",
			query: strings.Repeat("(", 10_000) + "name==web" + strings.Repeat(")", 10_000)},
		{name: "2k alternatives", path: "/users/alice/appliances", status: 400, fragment: "longer than", query: strings.Join(terms, ",")},
		{name: "1k wildcards on rows", path: "/users/alice/appliances", status: 200, fragment: "<total>0</total>", query: "name==" + stars},
		{name: "1k wildcards in SQL", path: "/distributions/3/pkgs", status: 200, fragment: "<pkgs/>", query: "name==" + stars},
		{name: "unknown selector", path: "/users/alice/appliances", status: 400, fragment: "passwordHash", query: "owner.passwordHash=='$argon2id*'"},
	} {
		t.Run(h.name, func(t *testing.T) {
			c := alice.in(t)
			start := time.Now()
			r := c.do("GET", h.path+"?query="+q(h.query), "")
			took := time.Since(start)
			if took > bombTime {
				t.Errorf("answered in %v", took)
			}
			if h.status == 200 {
				r.expect(200).has(h.fragment)
				return
			}
			r.uforgeError(h.status, h.fragment)
		})
	}
	e.unchanged("alice", before)
}
