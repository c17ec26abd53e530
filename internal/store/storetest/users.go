package storetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/kilnhq/kiln/internal/store"
)

func testUsers(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("CreateGet", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), t.Context()
		before := time.Now()
		u := &store.User{Login: "alice", Email: "alice@example.com", FirstName: "Alice", Surname: "Liddell",
			PasswordHash: "hash", Roles: []string{"user", "admin", "user"}, Active: true, APIKeysQuota: 3}
		if err := s.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		if u.ID == 0 {
			t.Error("CreateUser did not set ID")
		}
		within(t, "Created", u.Created, before, time.Now())
		if !u.Modified.Equal(u.Created) {
			t.Errorf("Modified %v != Created %v", u.Modified, u.Created)
		}
		got, err := s.GetUser(ctx, "alice")
		if err != nil {
			t.Fatal(err)
		}
		want := *u
		want.Roles = []string{"admin", "user"} // a set: sorted, without duplicates
		if d := cmp.Diff(&want, got); d != "" {
			t.Errorf("GetUser (-want +got):\n%s", d)
		}
	})
	t.Run("Conflict", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), t.Context()
		newUser(t, ctx, s, "bob", "user")
		err := s.CreateUser(ctx, &store.User{Login: "bob", Roles: []string{"admin"}})
		wantErr(t, err, store.ErrConflict)
		if n, err := s.CountUsers(ctx); err != nil || n != 1 {
			t.Errorf("CountUsers = %d, %v; want 1 (failed create must leave nothing)", n, err)
		}
		// Logins are case-sensitive, as in UForge.
		newUser(t, ctx, s, "Bob")
	})
	t.Run("NotFound", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), t.Context()
		_, err := s.GetUser(ctx, "nobody")
		wantErr(t, err, store.ErrNotFound)
		wantErr(t, s.UpdateUser(ctx, &store.User{ID: 4242, Login: "nobody"}), store.ErrNotFound)
		wantErr(t, s.DeleteUser(ctx, "nobody"), store.ErrNotFound)
	})
	t.Run("ListCount", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), t.Context()
		if n, err := s.CountUsers(ctx); err != nil || n != 0 {
			t.Fatalf("CountUsers on empty store = %d, %v", n, err)
		}
		us, err := s.ListUsers(ctx)
		if err != nil || len(us) != 0 {
			t.Fatalf("ListUsers on empty store = %v, %v", us, err)
		}
		for _, l := range []string{"carol", "Zed", "alice", "a.b", "a-b"} {
			newUser(t, ctx, s, l, "role-"+l, "user")
		}
		newUser(t, ctx, s, "noroles")
		us, err = s.ListUsers(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var logins []string
		for _, u := range us {
			logins = append(logins, u.Login)
			want := []string{"role-" + u.Login, "user"}
			if u.Login == "noroles" {
				want = nil
			}
			if d := cmp.Diff(want, u.Roles, cmpopts.EquateEmpty()); d != "" {
				t.Errorf("roles of %s (-want +got):\n%s", u.Login, d)
			}
		}
		// Byte order on both databases, whatever the server's locale.
		if d := cmp.Diff([]string{"Zed", "a-b", "a.b", "alice", "carol", "noroles"}, logins); d != "" {
			t.Errorf("ListUsers order (-want +got):\n%s", d)
		}
		if n, err := s.CountUsers(ctx); err != nil || n != 6 {
			t.Errorf("CountUsers = %d, %v; want 6", n, err)
		}
	})
	t.Run("Update", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), t.Context()
		u := newUser(t, ctx, s, "dave", "user", "admin")
		other := newUser(t, ctx, s, "erin", "user")
		created := u.Created
		time.Sleep(2 * time.Millisecond)
		upd := *u
		upd.Login = "ignored"
		upd.Created = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
		upd.Email, upd.FirstName, upd.Surname = "d@example.org", "Dave", "Bowman"
		upd.PasswordHash, upd.Active, upd.APIKeysQuota = "new-hash", false, 0
		upd.Roles = []string{"auditor"}
		if err := s.UpdateUser(ctx, &upd); err != nil {
			t.Fatal(err)
		}
		if !upd.Modified.After(created) {
			t.Errorf("Modified %v not after Created %v", upd.Modified, created)
		}
		got, err := s.GetUser(ctx, "dave")
		if err != nil {
			t.Fatal(err)
		}
		want := upd
		want.Login, want.Created = "dave", created
		if d := cmp.Diff(&want, got); d != "" {
			t.Errorf("after UpdateUser (-want +got):\n%s", d)
		}
		if d := cmp.Diff(&want, &upd); d != "" {
			t.Errorf("UpdateUser left the argument (-want +got):\n%s", d)
		}
		if _, err := s.GetUser(ctx, "ignored"); err == nil {
			t.Error("UpdateUser renamed the user")
		}
		o, err := s.GetUser(ctx, "erin")
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(other, o); d != "" {
			t.Errorf("UpdateUser touched another user (-want +got):\n%s", d)
		}
		// Clearing roles.
		upd.Roles = nil
		if err := s.UpdateUser(ctx, &upd); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.GetUser(ctx, "dave"); len(got.Roles) != 0 {
			t.Errorf("roles after clearing = %v", got.Roles)
		}
	})
}
