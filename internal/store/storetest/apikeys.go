package storetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/kilnhq/kiln/internal/store"
)

func testAPIKeys(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("Lifecycle", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), t.Context()
		alice, bob := newUser(t, ctx, s, "alice"), newUser(t, ctx, s, "bob")
		k1 := &store.APIKey{UserID: alice.ID, Name: "ci", Description: "builds", PublicKey: "pub-1", SecretKey: "sec-1"}
		// An expiry is kept to the microsecond, as every stored time, in UTC.
		expires := time.Date(2031, 2, 3, 4, 5, 6, 7891, time.FixedZone("CET", 3600))
		k2 := &store.APIKey{UserID: alice.ID, Name: "laptop", PublicKey: "pub-2", SecretKey: "sec-2", Expires: expires}
		kb := &store.APIKey{UserID: bob.ID, Name: "bob", PublicKey: "pub-b", SecretKey: "sec-b"}
		for _, k := range []*store.APIKey{k1, k2, kb} {
			if err := s.CreateAPIKey(ctx, k); err != nil {
				t.Fatal(err)
			}
			if k.ID == 0 || k.Created.IsZero() || !k.Modified.Equal(k.Created) {
				t.Errorf("CreateAPIKey left %+v", k)
			}
		}
		got, err := s.GetAPIKeyByPublic(ctx, "pub-1")
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(k1, got); d != "" {
			t.Errorf("GetAPIKeyByPublic (-want +got):\n%s", d)
		}
		if want := expires.UTC().Truncate(time.Microsecond); !k2.Expires.Equal(want) || k2.Expires.Location() != time.UTC {
			t.Errorf("CreateAPIKey set Expires %v, want %v", k2.Expires, want)
		}
		list, err := s.ListAPIKeys(ctx, alice.ID)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff([]store.APIKey{*k1, *k2}, list); d != "" {
			t.Errorf("ListAPIKeys (-want +got):\n%s", d)
		}
		if list, err := s.ListAPIKeys(ctx, 9999); err != nil || len(list) != 0 {
			t.Errorf("ListAPIKeys of unknown user = %v, %v", list, err)
		}

		upd := *k1
		upd.Name, upd.Description = "ci-2", "renamed"
		upd.PublicKey, upd.SecretKey = "ignored", "ignored"
		if err := s.UpdateAPIKey(ctx, &upd); err != nil {
			t.Fatal(err)
		}
		got, err = s.GetAPIKeyByPublic(ctx, "pub-1")
		if err != nil {
			t.Fatal(err)
		}
		want := *k1
		want.Name, want.Description, want.Modified = "ci-2", "renamed", upd.Modified
		if d := cmp.Diff(&want, got); d != "" {
			t.Errorf("after UpdateAPIKey (-want +got):\n%s", d)
		}
		// Another user's key is not found, not updated, not deleted.
		wantErr(t, s.UpdateAPIKey(ctx, &store.APIKey{ID: kb.ID, UserID: alice.ID, Name: "x"}), store.ErrNotFound)
		wantErr(t, s.DeleteAPIKey(ctx, alice.ID, kb.ID), store.ErrNotFound)
		if _, err := s.GetAPIKeyByPublic(ctx, "pub-b"); err != nil {
			t.Errorf("bob's key after alice's attempts: %v", err)
		}

		if err := s.DeleteAPIKey(ctx, alice.ID, k2.ID); err != nil {
			t.Fatal(err)
		}
		_, err = s.GetAPIKeyByPublic(ctx, "pub-2")
		wantErr(t, err, store.ErrNotFound)
		wantErr(t, s.DeleteAPIKey(ctx, alice.ID, k2.ID), store.ErrNotFound)
	})
	t.Run("Errors", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), t.Context()
		u := newUser(t, ctx, s, "carol")
		if err := s.CreateAPIKey(ctx, &store.APIKey{UserID: u.ID, PublicKey: "same", SecretKey: "a"}); err != nil {
			t.Fatal(err)
		}
		other := newUser(t, ctx, s, "dan")
		wantErr(t, s.CreateAPIKey(ctx, &store.APIKey{UserID: other.ID, PublicKey: "same", SecretKey: "b"}), store.ErrConflict)
		wantErr(t, s.CreateAPIKey(ctx, &store.APIKey{UserID: 424242, PublicKey: "orphan", SecretKey: "c"}), store.ErrNotFound)
		_, err := s.GetAPIKeyByPublic(ctx, "missing")
		wantErr(t, err, store.ErrNotFound)
	})
}
