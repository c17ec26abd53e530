package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kilnhq/kiln/internal/store"
	"github.com/kilnhq/kiln/internal/uforge"
)

// QuotaDefaults are the limits of every user an administrator gave none of
// (kiln serve --quota-… flags). Zero means no limit.
type QuotaDefaults struct {
	Appliances int64
	Images     int64 // images held, whatever their state (UForge's "generation")
	Scans      int64
	DiskBytes  int64 // image files and overlays ("diskusage")
	// ActiveGenerations bounds the generations one user may have queued or
	// running at once, whoever the user: the queue serves jobs in order, so
	// this cap is what keeps one user from filling it for everyone.
	ActiveGenerations int64
}

// activeRetry is what a client refused for too many generations is told to
// wait: about the time a short generation takes.
const activeRetry = time.Minute

// limits are the quotas of user u: the limits set for u, else the defaults.
func (s *base) limits(ctx context.Context, u *store.User) (store.Limits, error) {
	set, err := s.store.UserQuotas(ctx, u.ID)
	if err != nil {
		return store.Limits{}, fmt.Errorf("quotas of %q: %w", u.Login, err)
	}
	pick := func(kind string, dflt int64) int64 {
		if v, ok := set[kind]; ok {
			return v
		}
		return orUnlimited(dflt)
	}
	d := s.quotas
	return store.Limits{
		Appliances: pick(store.QuotaAppliances, d.Appliances),
		Images:     pick(store.QuotaImages, d.Images),
		Scans:      pick(store.QuotaScans, d.Scans),
		DiskBytes:  pick(store.QuotaDiskUsage, d.DiskBytes),
		Active:     orUnlimited(d.ActiveGenerations),
	}, nil
}

// orUnlimited reads a default: zero (or less) is no limit.
func orUnlimited(v int64) int64 {
	if v <= 0 {
		return -1
	}
	return v
}

// quotaRefusal turns a store refusal into the answer the user reads: 403 for
// a quota (it holds until something is deleted or the quota raised), 429 for
// the cap on generations at once (it clears as they finish). Other errors
// pass through.
func quotaRefusal(login string, err error) error {
	qe, ok := errors.AsType[*store.QuotaError](err)
	if !ok {
		return err
	}
	if qe.Kind == store.QuotaActive {
		return &Error{Kind: KindTooMany, ID: "quota.active", RetryAfter: activeRetry, Err: err,
			Msg: fmt.Sprintf("user %q has %d generations queued or running, the most one user may have at once: wait for one to end", login, qe.Used)}
	}
	what := map[string]string{store.QuotaAppliances: "appliances", store.QuotaImages: "images",
		store.QuotaScans: "scans", store.QuotaDiskUsage: "bytes of images and overlays"}[qe.Kind]
	return &Error{Kind: KindQuota, ID: "quota." + qe.Kind, Err: err,
		Msg: fmt.Sprintf("quota exceeded: user %q holds %d %s and may hold %d (delete some, or ask an administrator to raise users/%s/quotas)",
			login, qe.Used, what, qe.Limit, login)}
}

// Quotas holds the use cases of /users/{uid}/quotas: what a user may hold
// and holds.
type Quotas struct{ base }

// NewQuotas returns the quota use cases on st.
func NewQuotas(st store.Store, cfg Config) *Quotas { return &Quotas{newBase(st, cfg)} }

// GetQuotas returns the quotas of uid with what uid holds (userQuotas_get).
func (s *Quotas) GetQuotas(ctx context.Context, p *Principal, uid string) (*uforge.Quotas, error) {
	u, err := s.targetUser(ctx, p, uid)
	if err != nil {
		return nil, err
	}
	return s.render(ctx, u)
}

// UpdateQuotas sets limits of uid (userQuotas_update): administrators only.
// Each quota names its type and limit (-1: no limit); types not sent keep
// their limit. Kiln's quotas never renew: a frequency other than none is refused.
func (s *Quotas) UpdateQuotas(ctx context.Context, p *Principal, uid string, in *uforge.Quotas) (*uforge.Quotas, error) {
	if !p.IsAdmin() {
		return nil, forbidden("quota.admin", "only an administrator may change quotas")
	}
	u, err := s.targetUser(ctx, p, uid)
	if err != nil {
		return nil, err
	}
	set := map[string]int64{}
	for i, q := range in.Quotas {
		where := fmt.Sprintf("quotas/quotas/quota[%d]", i)
		kind := uforge.StrValue(q.Type)
		switch {
		case kind == "":
			return nil, invalid("quota.type", "%s/type: is required (appliance, diskusage, generation or scan)", where)
		case q.Limit == nil:
			return nil, invalid("quota.limit", "%s/limit: is required (-1 for no limit)", where)
		case *q.Limit < -1:
			return nil, invalid("quota.limit", "%s/limit: %d is not a limit (-1 for none, else 0 or more)", where, *q.Limit)
		case q.Frequency != nil && *q.Frequency != "none":
			return nil, invalid("quota.frequency", "%s/frequency: Kiln's quotas never renew (none)", where)
		}
		if _, dup := set[kind]; dup {
			return nil, invalid("quota.type", "%s/type: %q is given twice", where, kind)
		}
		set[kind] = *q.Limit
	}
	if err := s.store.SetUserQuotas(ctx, u.ID, set); err != nil {
		return nil, fmt.Errorf("set quotas of %q: %w", u.Login, err)
	}
	s.log.Info("quotas changed", "user", u.Login, "by", p.Login, "limits", set)
	return s.render(ctx, u)
}

func (s *Quotas) render(ctx context.Context, u *store.User) (*uforge.Quotas, error) {
	lim, err := s.limits(ctx, u)
	if err != nil {
		return nil, err
	}
	used, err := s.store.Usage(ctx, u.ID)
	if err != nil {
		return nil, fmt.Errorf("usage of %q: %w", u.Login, err)
	}
	rows := []struct {
		kind        string
		limit, have int64
	}{
		{store.QuotaAppliances, lim.Appliances, used.Appliances},
		{store.QuotaDiskUsage, lim.DiskBytes, used.DiskBytes},
		{store.QuotaImages, lim.Images, used.Images},
		{store.QuotaScans, lim.Scans, used.Scans},
	}
	out := &uforge.Quotas{Objects: uforge.Objects{Total: new(int64(len(rows)))}, Quotas: []uforge.Quota{}}
	for _, r := range rows {
		out.Quotas = append(out.Quotas, uforge.Quota{Frequency: new("none"), Limit: new(r.limit), Nb: new(r.have),
			Type: new(r.kind), URI: new("users/" + u.Login + "/quotas")})
	}
	return out, nil
}
