package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Quota kinds, named as uforge.xsd names Quota.type, so that the wire and the
// database say the same word.
const (
	QuotaAppliances = "appliance"  // appliances held
	QuotaImages     = "generation" // images held, whatever their state
	QuotaScans      = "scan"       // scans held
	QuotaDiskUsage  = "diskusage"  // bytes of image files and overlays
)

// QuotaKinds lists the kinds a user can be given a limit of, in the order
// the API shows them.
func QuotaKinds() []string {
	return []string{QuotaAppliances, QuotaImages, QuotaScans, QuotaDiskUsage}
}

// Usage is what one user holds, as quotas count it.
type Usage struct {
	Appliances int64
	Images     int64
	Scans      int64
	// Active counts the images queued or running: generations waiting for a
	// worker or holding one.
	Active int64
	// DiskBytes is the size of the user's image files, stored overlays and
	// overlays being received.
	DiskBytes int64
}

// Limits bound what one user may hold when something is created. A negative
// field is no limit.
type Limits struct {
	Appliances int64
	Images     int64
	Scans      int64
	Active     int64
	DiskBytes  int64
}

// Unlimited admits every creation.
func Unlimited() Limits { return Limits{-1, -1, -1, -1, -1} }

// ErrQuota is wrapped by every *QuotaError.
var ErrQuota = errors.New("quota exceeded")

// QuotaError says which limit a creation would have exceeded.
type QuotaError struct {
	Kind  string // a Quota… kind, or "active" for queued and running generations
	Limit int64
	Used  int64
}

// QuotaActive names the limit of queued and running generations in a QuotaError.
const QuotaActive = "active"

func (e *QuotaError) Error() string {
	return fmt.Sprintf("%s quota of %d reached (%d held)", e.Kind, e.Limit, e.Used)
}

func (e *QuotaError) Unwrap() error { return ErrQuota }

// Quotas stores per-user limits and counts what users hold.
type Quotas interface {
	// UserQuotas returns the limits set for user userID, by kind; a kind never
	// set is absent.
	UserQuotas(ctx context.Context, userID int64) (map[string]int64, error)
	// SetUserQuotas sets the limits of user userID for the kinds in q (one of
	// QuotaKinds each), leaving the others as they are. ErrNotFound when the
	// user does not exist.
	SetUserQuotas(ctx context.Context, userID int64, q map[string]int64) error
	// Usage returns what user userID holds.
	Usage(ctx context.Context, userID int64) (Usage, error)
}

// UserQuotas returns the limits set for user userID.
func (s *SQL) UserQuotas(ctx context.Context, userID int64) (map[string]int64, error) {
	op := fmt.Sprintf("get quotas of user %d", userID)
	rows, err := s.rdb.QueryContext(ctx, s.q(`SELECT kind, quota_limit FROM user_quotas WHERE user_id = ?`), userID)
	if err != nil {
		return nil, s.fail(ctx, op, err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var (
			kind  string
			limit int64
		)
		if err := rows.Scan(&kind, &limit); err != nil {
			return nil, s.fail(ctx, op, err)
		}
		out[kind] = limit
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(ctx, op, err)
	}
	return out, nil
}

// SetUserQuotas upserts the limits in q for user userID, in one transaction.
func (s *SQL) SetUserQuotas(ctx context.Context, userID int64, q map[string]int64) error {
	op := fmt.Sprintf("set quotas of user %d", userID)
	for kind := range q {
		if !validQuotaKind(kind) {
			return fmt.Errorf("%s: %q is not a quota kind", op, kind)
		}
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		// Kinds in a stable order: two concurrent updates lock rows alike.
		for _, kind := range QuotaKinds() {
			limit, ok := q[kind]
			if !ok {
				continue
			}
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO user_quotas (user_id, kind, quota_limit) VALUES (?, ?, ?)
				ON CONFLICT (user_id, kind) DO UPDATE SET quota_limit = excluded.quota_limit`), userID, kind, limit); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return s.fail(ctx, op, err)
	}
	return nil
}

func validQuotaKind(kind string) bool {
	for _, k := range QuotaKinds() {
		if k == kind {
			return true
		}
	}
	return false
}

// Usage returns what user userID holds.
func (s *SQL) Usage(ctx context.Context, userID int64) (Usage, error) {
	u, err := s.usage(ctx, s.rdb, userID)
	if err != nil {
		return Usage{}, s.fail(ctx, fmt.Sprintf("usage of user %d", userID), err)
	}
	return u, nil
}

// queryer is *sql.DB or *sql.Tx.
type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// usageQuery counts a user's holdings in one statement. A scan's overlay
// counts as stored once complete, as received while it arrives, and not at
// all once the upload failed (the partial file is gone).
const usageQuery = `SELECT
	(SELECT COUNT(*) FROM appliances WHERE owner_id = ?),
	(SELECT COUNT(*) FROM images WHERE owner_id = ?),
	(SELECT COUNT(*) FROM scans WHERE owner_id = ?),
	(SELECT COUNT(*) FROM images WHERE owner_id = ? AND ` + nonTerminal + `),
	(SELECT CAST(COALESCE(SUM(file_size), 0) AS BIGINT) FROM images WHERE owner_id = ?),
	(SELECT CAST(COALESCE(SUM(CASE WHEN overlay_key <> '' THEN overlay_size
		WHEN state = 'running' THEN overlay_received ELSE 0 END), 0) AS BIGINT) FROM scans WHERE owner_id = ?)`

func (s *SQL) usage(ctx context.Context, q queryer, userID int64) (Usage, error) {
	var u Usage
	var imageBytes, overlayBytes int64
	err := q.QueryRowContext(ctx, s.q(usageQuery), userID, userID, userID, userID, userID, userID).
		Scan(&u.Appliances, &u.Images, &u.Scans, &u.Active, &imageBytes, &overlayBytes)
	u.DiskBytes = imageBytes + overlayBytes
	return u, err
}

// admit runs inside a creation's transaction: it locks the owner's row, so
// that the creations of one user are counted one after the other on every
// database (PostgreSQL's row lock; SQLite has one writer anyway), then
// refuses with a *QuotaError when adding what add counts would take a usage
// over its limit in lim. A kind add does not count is not checked. A
// creation that will store bytes later (an image, a scan) adds 1 to
// DiskBytes: nothing of the kind may start while its owner is at the limit.
func (s *SQL) admit(ctx context.Context, tx *sql.Tx, ownerID int64, lim Limits, add Usage) error {
	if _, err := tx.ExecContext(ctx, s.q(`UPDATE users SET modified = modified WHERE id = ?`), ownerID); err != nil {
		return err
	}
	used, err := s.usage(ctx, tx, ownerID)
	if err != nil {
		return err
	}
	checks := []struct {
		kind            string
		limit, have, by int64
	}{
		{QuotaAppliances, lim.Appliances, used.Appliances, add.Appliances},
		{QuotaImages, lim.Images, used.Images, add.Images},
		{QuotaScans, lim.Scans, used.Scans, add.Scans},
		{QuotaActive, lim.Active, used.Active, add.Active},
		{QuotaDiskUsage, lim.DiskBytes, used.DiskBytes, add.DiskBytes},
	}
	for _, c := range checks {
		if c.limit >= 0 && c.by > 0 && c.have+c.by > c.limit {
			return &QuotaError{Kind: c.kind, Limit: c.limit, Used: c.have}
		}
	}
	return nil
}
