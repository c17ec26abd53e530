package service

import (
	"context"
	"errors"
	"fmt"

	"github.com/kilnhq/kiln/internal/store"
)

// targetUser loads the user named uid after checking p may act for them.
func (s *base) targetUser(ctx context.Context, p *Principal, uid string) (*store.User, error) {
	if !p.CanActFor(uid) {
		return nil, forbidden("user.other", "you may not act on the resources of user %q", uid)
	}
	if p.user != nil && p.user.Login == uid {
		return p.user, nil // loaded by authentication, moments ago
	}
	u, err := s.store.GetUser(ctx, uid)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("user", "user %q does not exist", uid)
	}
	return u, err
}

// owned loads appliance aid of user uid after the ownership check.
func (s *base) owned(ctx context.Context, p *Principal, uid string, aid int64) (*store.User, *store.Appliance, *applianceDoc, error) {
	u, err := s.targetUser(ctx, p, uid)
	if err != nil {
		return nil, nil, nil, err
	}
	a, err := s.store.GetAppliance(ctx, u.ID, aid)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, nil, notFound("appliance", "appliance %d of user %q does not exist", aid, uid)
	}
	if err != nil {
		return nil, nil, nil, fmt.Errorf("get appliance: %w", err)
	}
	d, err := decodeDoc(a)
	if err != nil {
		return nil, nil, nil, err
	}
	return u, a, d, nil
}
