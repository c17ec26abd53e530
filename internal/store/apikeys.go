package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

const apiKeyColumns = `id, user_id, name, description, public_key, secret_key, expires, created, modified`

// CreateAPIKey inserts k, setting ID, Created and Modified (and truncating
// Expires as every stored time is). ErrConflict when the public key exists,
// ErrNotFound when the user does not.
func (s *SQL) CreateAPIKey(ctx context.Context, k *APIKey) error {
	op := fmt.Sprintf("create api key %q for user %d", k.Name, k.UserID)
	now := s.stamp()
	expires := sql.NullTime{Time: k.Expires.UTC().Truncate(time.Microsecond), Valid: !k.Expires.IsZero()}
	var id int64
	err := s.db.QueryRowContext(ctx, s.q(`INSERT INTO api_keys
		(user_id, name, description, public_key, secret_key, expires, created, modified)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		k.UserID, k.Name, k.Description, k.PublicKey, k.SecretKey, expires, now, now,
	).Scan(&id)
	if err != nil {
		return s.fail(ctx, op, err)
	}
	k.ID, k.Expires, k.Created, k.Modified = id, utcOrZero(expires), now, now
	return nil
}

// GetAPIKeyByPublic returns the key pair with this public key.
func (s *SQL) GetAPIKeyByPublic(ctx context.Context, publicKey string) (*APIKey, error) {
	// The public key is a credential half: it stays out of messages and logs.
	const op = "get api key by public key"
	k, err := scanAPIKey(s.rdb.QueryRowContext(ctx,
		s.q(`SELECT `+apiKeyColumns+` FROM api_keys WHERE public_key = ?`), publicKey))
	if err != nil {
		return nil, s.fail(ctx, op, err)
	}
	return k, nil
}

// ListAPIKeys returns the keys of userID in creation order.
func (s *SQL) ListAPIKeys(ctx context.Context, userID int64) ([]APIKey, error) {
	return s.listAPIKeys(ctx, fmt.Sprintf("list api keys of user %d", userID),
		`SELECT `+apiKeyColumns+` FROM api_keys WHERE user_id = ? ORDER BY id`, userID)
}

// ListAllAPIKeys returns every user's keys in creation order.
func (s *SQL) ListAllAPIKeys(ctx context.Context) ([]APIKey, error) {
	return s.listAPIKeys(ctx, "list all api keys", `SELECT `+apiKeyColumns+` FROM api_keys ORDER BY id`)
}

// ReplaceAPIKeySecret sets the stored secret of key id to newSecret if it is
// still oldSecret, so that nodes re-sealing at once do not overwrite each
// other. It reports whether the row changed.
func (s *SQL) ReplaceAPIKeySecret(ctx context.Context, id int64, oldSecret, newSecret string) (bool, error) {
	op := fmt.Sprintf("replace secret of api key %d", id)
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE api_keys SET secret_key = ? WHERE id = ? AND secret_key = ?`),
		newSecret, id, oldSecret)
	if err != nil {
		return false, s.fail(ctx, op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, s.fail(ctx, op, err)
	}
	return n == 1, nil
}

func (s *SQL) listAPIKeys(ctx context.Context, op, query string, args ...any) ([]APIKey, error) {
	rows, err := s.rdb.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, s.fail(ctx, op, err)
	}
	defer rows.Close()
	var keys []APIKey
	for rows.Next() {
		k, err := scanAPIKey(rows)
		if err != nil {
			return nil, s.fail(ctx, op, err)
		}
		keys = append(keys, *k)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(ctx, op, err)
	}
	return keys, nil
}

// UpdateAPIKey changes Name and Description of key (k.UserID, k.ID) and sets Modified.
func (s *SQL) UpdateAPIKey(ctx context.Context, k *APIKey) error {
	op := fmt.Sprintf("update api key %d of user %d", k.ID, k.UserID)
	now := s.stamp()
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE api_keys SET name = ?, description = ?, modified = ?
		WHERE user_id = ? AND id = ?`), k.Name, k.Description, now, k.UserID, k.ID)
	if err != nil {
		return s.fail(ctx, op, err)
	}
	if err := s.expectOne(ctx, op, res); err != nil {
		return err
	}
	k.Modified = now
	return nil
}

// DeleteAPIKey removes key id of userID.
func (s *SQL) DeleteAPIKey(ctx context.Context, userID, id int64) error {
	op := fmt.Sprintf("delete api key %d of user %d", id, userID)
	res, err := s.db.ExecContext(ctx, s.q(`DELETE FROM api_keys WHERE user_id = ? AND id = ?`), userID, id)
	if err != nil {
		return s.fail(ctx, op, err)
	}
	return s.expectOne(ctx, op, res)
}

func scanAPIKey(r rowScanner) (*APIKey, error) {
	var k APIKey
	var expires sql.NullTime
	err := r.Scan(&k.ID, &k.UserID, &k.Name, &k.Description, &k.PublicKey, &k.SecretKey, &expires, &k.Created, &k.Modified)
	if err != nil {
		return nil, err
	}
	k.Expires, k.Created, k.Modified = utcOrZero(expires), k.Created.UTC(), k.Modified.UTC()
	return &k, nil
}
