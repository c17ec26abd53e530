package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/kilnhq/kiln/internal/store"
)

func errorsIsCanceled(err error) bool { return errors.Is(err, context.Canceled) }

// testConcurrentWriters runs writers and readers at once. SQLite has one
// writer at a time; none of these may fail with "database is locked".
func testConcurrentWriters(t *testing.T, s store.Store) {
	ctx := t.Context()
	const workers, rounds = 8, 20
	var wg sync.WaitGroup
	errs := make(chan error, workers*rounds*4)
	for w := range workers {
		wg.Go(func() {
			u := &store.User{Login: fmt.Sprintf("worker-%d", w), Roles: []string{"user"}}
			if err := s.CreateUser(ctx, u); err != nil {
				errs <- err
				return
			}
			for r := range rounds {
				a := &store.Appliance{OwnerID: u.ID, Name: "app", Version: fmt.Sprint(r), Doc: []byte(`{}`)}
				if err := s.CreateAppliance(ctx, a, store.Unlimited()); err != nil {
					errs <- err
					continue
				}
				a.Revision++
				if err := s.UpdateAppliance(ctx, a); err != nil {
					errs <- err
				}
				u.Email = fmt.Sprintf("%d@example.com", r)
				if err := s.UpdateUser(ctx, u); err != nil {
					errs <- err
				}
				if _, err := s.ListAppliances(ctx, u.ID); err != nil {
					errs <- err
				}
			}
		})
	}
	// A package refresh, the longest write, runs alongside.
	wg.Go(func() {
		for i := range 3 {
			if err := s.ReplacePackages(ctx, 1, syntheticPackages(5000, i), refreshTime); err != nil {
				errs <- err
			}
			if _, _, err := s.SearchPackages(ctx, 1, store.PackageFilter{Name: "pkg-1*", Limit: 10}); err != nil {
				errs <- err
			}
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent operation: %v", err)
	}
	n, err := s.CountUsers(ctx)
	if err != nil || n != workers {
		t.Errorf("CountUsers = %d, %v; want %d", n, err, workers)
	}
	for w := range workers {
		u, err := s.GetUser(ctx, fmt.Sprintf("worker-%d", w))
		if err != nil {
			t.Fatal(err)
		}
		as, err := s.ListAppliances(ctx, u.ID)
		if err != nil || len(as) != rounds {
			t.Errorf("worker %d has %d appliances, %v; want %d", w, len(as), err, rounds)
		}
	}
}
