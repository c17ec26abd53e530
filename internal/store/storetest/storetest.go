// Package storetest is the conformance suite every store.Store implementation
// passes: the same behaviour, asserted the same way, on SQLite and PostgreSQL.
package storetest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kilnhq/kiln/internal/store"
)

// Run exercises every method of the stores open returns. open must return a
// new, empty store each time it is called and close it when t ends.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("Users", func(t *testing.T) { testUsers(t, open) })
	t.Run("APIKeys", func(t *testing.T) { testAPIKeys(t, open) })
	t.Run("Appliances", func(t *testing.T) { testAppliances(t, open) })
	t.Run("DeleteUserCascades", func(t *testing.T) { t.Parallel(); testCascade(t, open(t)) })
	t.Run("Packages", func(t *testing.T) { testPackages(t, open) })
	t.Run("Images", func(t *testing.T) { t.Parallel(); testImages(t, open(t)) })
	t.Run("Scans", func(t *testing.T) { testScans(t, open) })
	t.Run("Quotas", func(t *testing.T) { testQuotas(t, open) })
	t.Run("ConcurrentWriters", func(t *testing.T) { t.Parallel(); testConcurrentWriters(t, open(t)) })
	t.Run("CanceledContext", func(t *testing.T) { t.Parallel(); testCanceled(t, open(t)) })
}

// wantErr fails unless err wraps target and its message is fit for a user.
func wantErr(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error = %v, want %v", err, target)
	}
	checkMessage(t, err)
}

// leaks are fragments of SQL or driver messages that must not reach users.
var leaks = []string{"SELECT", "INSERT", "UPDATE ", "DELETE ", "constraint", "CONSTRAINT", "UNIQUE",
	"duplicate key", "SQLSTATE", "sqlite", "SQL logic", "violates", "FOREIGN", "pq:", "pgx", "relation"}

func checkMessage(t *testing.T, err error) {
	t.Helper()
	for _, l := range leaks {
		if strings.Contains(err.Error(), l) {
			t.Errorf("error message %q leaks %q", err.Error(), l)
		}
	}
}

// within fails unless got lies in [from, to], allowing for the microsecond
// truncation stores apply.
func within(t *testing.T, what string, got, from, to time.Time) {
	t.Helper()
	if got.Before(from.Truncate(time.Microsecond)) || got.After(to) {
		t.Errorf("%s = %v, want within [%v, %v]", what, got, from, to)
	}
	if got.Location() != time.UTC {
		t.Errorf("%s location = %v, want UTC", what, got.Location())
	}
}

func newUser(t *testing.T, ctx context.Context, s store.Store, login string, roles ...string) *store.User {
	t.Helper()
	u := &store.User{Login: login, Email: login + "@example.com", Active: true, Roles: roles, APIKeysQuota: 5,
		PasswordHash: "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA"}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatalf("CreateUser(%q): %v", login, err)
	}
	return u
}
