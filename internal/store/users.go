package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
)

const userColumns = `id, login, email, first_name, surname, password_hash, active, api_keys_quota, created, modified`

// CreateUser inserts u with its roles, setting ID, Created and Modified.
func (s *SQL) CreateUser(ctx context.Context, u *User) error {
	op := fmt.Sprintf("create user %q", u.Login)
	now := s.stamp()
	var id int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, s.q(`INSERT INTO users
			(login, email, first_name, surname, password_hash, active, api_keys_quota, created, modified)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
			u.Login, u.Email, u.FirstName, u.Surname, u.PasswordHash, u.Active, u.APIKeysQuota, now, now,
		).Scan(&id)
		if err != nil {
			return err
		}
		return s.insertRoles(ctx, tx, id, u.Roles)
	})
	if err != nil {
		return s.fail(ctx, op, err)
	}
	u.ID, u.Created, u.Modified = id, now, now
	return nil
}

// GetUser returns the account with this login.
func (s *SQL) GetUser(ctx context.Context, login string) (*User, error) {
	op := fmt.Sprintf("get user %q", login)
	u, err := scanUser(s.rdb.QueryRowContext(ctx, s.q(`SELECT `+userColumns+` FROM users WHERE login = ?`), login))
	if err != nil {
		return nil, s.fail(ctx, op, err)
	}
	rows, err := s.rdb.QueryContext(ctx, s.q(`SELECT role FROM user_roles WHERE user_id = ? ORDER BY role`), u.ID)
	if err != nil {
		return nil, s.fail(ctx, op, err)
	}
	defer rows.Close()
	for rows.Next() {
		var role string
		if err := rows.Scan(&role); err != nil {
			return nil, s.fail(ctx, op, err)
		}
		u.Roles = append(u.Roles, role)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(ctx, op, err)
	}
	return u, nil
}

// ListUsers returns every account ordered by login.
func (s *SQL) ListUsers(ctx context.Context) ([]User, error) {
	const op = "list users"
	rows, err := s.rdb.QueryContext(ctx, `SELECT `+userColumns+` FROM users ORDER BY login`)
	if err != nil {
		return nil, s.fail(ctx, op, err)
	}
	defer rows.Close()
	var users []User
	byID := map[int64]int{}
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, s.fail(ctx, op, err)
		}
		byID[u.ID] = len(users)
		users = append(users, *u)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(ctx, op, err)
	}
	rows.Close()

	roles, err := s.rdb.QueryContext(ctx, `SELECT user_id, role FROM user_roles ORDER BY user_id, role`)
	if err != nil {
		return nil, s.fail(ctx, op, err)
	}
	defer roles.Close()
	for roles.Next() {
		var (
			id   int64
			role string
		)
		if err := roles.Scan(&id, &role); err != nil {
			return nil, s.fail(ctx, op, err)
		}
		if i, ok := byID[id]; ok { // a user created since the first query is not listed
			users[i].Roles = append(users[i].Roles, role)
		}
	}
	if err := roles.Err(); err != nil {
		return nil, s.fail(ctx, op, err)
	}
	return users, nil
}

// UpdateUser replaces every field of user u.ID but Login and Created, roles included.
func (s *SQL) UpdateUser(ctx context.Context, u *User) error {
	op := fmt.Sprintf("update user %d", u.ID)
	now := s.stamp()
	var created, login = u.Created, u.Login
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, s.q(`UPDATE users SET
			email = ?, first_name = ?, surname = ?, password_hash = ?, active = ?, api_keys_quota = ?, modified = ?
			WHERE id = ? RETURNING login, created`),
			u.Email, u.FirstName, u.Surname, u.PasswordHash, u.Active, u.APIKeysQuota, now, u.ID,
		).Scan(&login, &created)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM user_roles WHERE user_id = ?`), u.ID); err != nil {
			return err
		}
		return s.insertRoles(ctx, tx, u.ID, u.Roles)
	})
	if err != nil {
		return s.fail(ctx, op, err)
	}
	u.Login, u.Created, u.Modified = login, created.UTC(), now
	return nil
}

// CountUsers returns how many accounts exist.
func (s *SQL) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := s.rdb.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&n); err != nil {
		return 0, s.fail(ctx, "count users", err)
	}
	return n, nil
}

// DeleteUser removes the account with this login; the database cascades to its
// roles, API keys and appliances.
func (s *SQL) DeleteUser(ctx context.Context, login string) error {
	op := fmt.Sprintf("delete user %q", login)
	res, err := s.db.ExecContext(ctx, s.q(`DELETE FROM users WHERE login = ?`), login)
	if err != nil {
		return s.fail(ctx, op, err)
	}
	return s.expectOne(ctx, op, res)
}

// insertRoles adds roles (a set: sorted, duplicates dropped) to user id.
func (s *SQL) insertRoles(ctx context.Context, tx *sql.Tx, id int64, roles []string) error {
	set := slices.Clone(roles)
	slices.Sort(set)
	set = slices.Compact(set)
	if len(set) == 0 {
		return nil
	}
	args := make([]any, 0, 2*len(set))
	for _, r := range set {
		args = append(args, id, r)
	}
	_, err := tx.ExecContext(ctx, s.q(`INSERT INTO user_roles (user_id, role) VALUES `+placeholders(len(set), 2)), args...)
	return err
}

// expectOne reports ErrNotFound when res changed no row.
func (s *SQL) expectOne(ctx context.Context, op string, res sql.Result) error {
	n, err := res.RowsAffected()
	if err != nil {
		return s.fail(ctx, op, err)
	}
	if n == 0 {
		return s.fail(ctx, op, sql.ErrNoRows)
	}
	return nil
}

// rowScanner is *sql.Row or *sql.Rows.
type rowScanner interface{ Scan(dest ...any) error }

func scanUser(r rowScanner) (*User, error) {
	var u User
	err := r.Scan(&u.ID, &u.Login, &u.Email, &u.FirstName, &u.Surname, &u.PasswordHash,
		&u.Active, &u.APIKeysQuota, &u.Created, &u.Modified)
	if err != nil {
		return nil, err
	}
	u.Created, u.Modified = u.Created.UTC(), u.Modified.UTC()
	return &u, nil
}
