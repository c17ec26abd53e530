package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/kilnhq/kiln/internal/store"
)

// doc is a JSON document with what a naive store would mangle: key order,
// whitespace, non-ASCII text and a NUL escape.
const doc = `{"z": 1,  "a": [true, null], "name": "Ünïcødé ✓", "nul": "\u0000"}`

func testAppliances(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("Lifecycle", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), t.Context()
		alice, bob := newUser(t, ctx, s, "alice"), newUser(t, ctx, s, "bob")
		a1 := &store.Appliance{OwnerID: alice.ID, Name: "web", Version: "1.0", Revision: 1, Doc: []byte(doc)}
		a2 := &store.Appliance{OwnerID: alice.ID, Name: "web", Version: "2.0", Doc: []byte(`{}`)}
		b1 := &store.Appliance{OwnerID: bob.ID, Name: "web", Version: "1.0", Doc: []byte(`{}`)} // same name+version, other owner
		for _, a := range []*store.Appliance{a1, a2, b1} {
			if err := s.CreateAppliance(ctx, a, store.Unlimited()); err != nil {
				t.Fatal(err)
			}
			if a.ID == 0 || a.Created.IsZero() || !a.Modified.Equal(a.Created) {
				t.Errorf("CreateAppliance left %+v", a)
			}
		}
		got, err := s.GetAppliance(ctx, alice.ID, a1.ID)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(a1, got); d != "" {
			t.Errorf("GetAppliance (-want +got):\n%s", d)
		}
		if string(got.Doc) != doc {
			t.Errorf("Doc = %q, want byte-identical %q", got.Doc, doc)
		}
		_, err = s.GetAppliance(ctx, bob.ID, a1.ID)
		wantErr(t, err, store.ErrNotFound)

		list, err := s.ListAppliances(ctx, alice.ID)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff([]store.Appliance{*a1, *a2}, list); d != "" {
			t.Errorf("ListAppliances (-want +got):\n%s", d)
		}

		time.Sleep(2 * time.Millisecond)
		upd := *a1
		upd.Name, upd.Version, upd.Revision, upd.Doc = "web-renamed", "1.1", 2, []byte(`{"changed":true}`)
		if err := s.UpdateAppliance(ctx, &upd); err != nil {
			t.Fatal(err)
		}
		if !upd.Modified.After(a1.Created) {
			t.Errorf("Modified %v not after Created %v", upd.Modified, a1.Created)
		}
		got, err = s.GetAppliance(ctx, alice.ID, a1.ID)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(&upd, got); d != "" {
			t.Errorf("after UpdateAppliance (-want +got):\n%s", d)
		}
		// Renaming onto an existing name+version conflicts and changes nothing.
		clash := upd
		clash.Name, clash.Version = "web", "2.0"
		wantErr(t, s.UpdateAppliance(ctx, &clash), store.ErrConflict)
		if got, _ := s.GetAppliance(ctx, alice.ID, a1.ID); got.Name != "web-renamed" {
			t.Errorf("failed update changed name to %q", got.Name)
		}
		// Another owner can neither update nor delete it.
		stolen := upd
		stolen.OwnerID = bob.ID
		wantErr(t, s.UpdateAppliance(ctx, &stolen), store.ErrNotFound)
		wantErr(t, s.DeleteAppliance(ctx, bob.ID, a1.ID), store.ErrNotFound)

		if err := s.DeleteAppliance(ctx, alice.ID, a1.ID); err != nil {
			t.Fatal(err)
		}
		_, err = s.GetAppliance(ctx, alice.ID, a1.ID)
		wantErr(t, err, store.ErrNotFound)
		wantErr(t, s.DeleteAppliance(ctx, alice.ID, a1.ID), store.ErrNotFound)

		// Ids are never reused: a URI naming a deleted appliance cannot come to name another.
		a3 := &store.Appliance{OwnerID: alice.ID, Name: "new", Version: "1", Doc: []byte(`{}`)}
		if err := s.CreateAppliance(ctx, a3, store.Unlimited()); err != nil {
			t.Fatal(err)
		}
		if a3.ID <= b1.ID {
			t.Errorf("new appliance id %d reuses or precedes %d", a3.ID, b1.ID)
		}
	})
	t.Run("Errors", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), t.Context()
		u := newUser(t, ctx, s, "carol")
		a := &store.Appliance{OwnerID: u.ID, Name: "db", Version: "1", Doc: []byte(`{}`)}
		if err := s.CreateAppliance(ctx, a, store.Unlimited()); err != nil {
			t.Fatal(err)
		}
		wantErr(t, s.CreateAppliance(ctx, &store.Appliance{OwnerID: u.ID, Name: "db", Version: "1", Doc: []byte(`{}`)}, store.Unlimited()), store.ErrConflict)
		wantErr(t, s.CreateAppliance(ctx, &store.Appliance{OwnerID: 99999, Name: "x", Version: "1", Doc: []byte(`{}`)}, store.Unlimited()), store.ErrNotFound)
		wantErr(t, s.UpdateAppliance(ctx, &store.Appliance{OwnerID: u.ID, ID: 99999, Name: "x", Doc: []byte(`{}`)}), store.ErrNotFound)
		if list, err := s.ListAppliances(ctx, 99999); err != nil || len(list) != 0 {
			t.Errorf("ListAppliances of unknown owner = %v, %v", list, err)
		}
	})
}

func testCascade(t *testing.T, s store.Store) {
	ctx := t.Context()
	doomed, kept := newUser(t, ctx, s, "doomed", "admin"), newUser(t, ctx, s, "kept", "admin")
	for i, u := range []*store.User{doomed, kept} {
		k := &store.APIKey{UserID: u.ID, PublicKey: u.Login + "-pub", SecretKey: "s"}
		if err := s.CreateAPIKey(ctx, k); err != nil {
			t.Fatal(err)
		}
		a := &store.Appliance{OwnerID: u.ID, Name: "app", Version: string(rune('1' + i)), Doc: []byte(`{}`)}
		if err := s.CreateAppliance(ctx, a, store.Unlimited()); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.DeleteUser(ctx, "doomed"); err != nil {
		t.Fatal(err)
	}
	_, err := s.GetUser(ctx, "doomed")
	wantErr(t, err, store.ErrNotFound)
	_, err = s.GetAPIKeyByPublic(ctx, "doomed-pub")
	wantErr(t, err, store.ErrNotFound)
	if as, err := s.ListAppliances(ctx, doomed.ID); err != nil || len(as) != 0 {
		t.Errorf("appliances of deleted user = %v, %v", as, err)
	}
	// A recreated login is a new account: nothing of the old one comes back.
	again := newUser(t, ctx, s, "doomed")
	if again.ID == doomed.ID || len(again.Roles) != 0 {
		t.Errorf("recreated user = %+v", again)
	}
	if keys, _ := s.ListAPIKeys(ctx, again.ID); len(keys) != 0 {
		t.Errorf("recreated user inherited keys %v", keys)
	}
	// The other account is intact.
	if _, err := s.GetAPIKeyByPublic(ctx, "kept-pub"); err != nil {
		t.Errorf("kept user's key: %v", err)
	}
	if as, err := s.ListAppliances(ctx, kept.ID); err != nil || len(as) != 1 {
		t.Errorf("kept user's appliances = %v, %v", as, err)
	}
	if u, err := s.GetUser(ctx, "kept"); err != nil || len(u.Roles) != 1 {
		t.Errorf("kept user = %+v, %v", u, err)
	}
}

func testCanceled(t *testing.T, s store.Store) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := s.GetUser(ctx, "anyone")
	if err == nil {
		t.Fatal("GetUser with a canceled context succeeded")
	}
	if !errorsIsCanceled(err) {
		t.Errorf("error %v does not wrap context.Canceled", err)
	}
	checkMessage(t, err)
	err = s.CreateUser(ctx, &store.User{Login: "x"})
	if !errorsIsCanceled(err) {
		t.Errorf("CreateUser error %v does not wrap context.Canceled", err)
	}
	checkMessage(t, err)
}
