package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// OpError is a database failure that is neither ErrNotFound nor ErrConflict.
// Its message names the operation only: driver messages can carry SQL text,
// table names and values, and errors travel up to API responses. The driver
// error stays reachable with errors.Is/As and is logged where it happens.
type OpError struct {
	Op  string // what failed, e.g. `create user "bob"`
	Err error  // the driver's error
}

func (e *OpError) Error() string {
	// Cancellation is the caller's doing and safe to name.
	if errors.Is(e.Err, context.Canceled) {
		return e.Op + ": " + context.Canceled.Error()
	}
	if errors.Is(e.Err, context.DeadlineExceeded) {
		return e.Op + ": " + context.DeadlineExceeded.Error()
	}
	return e.Op + ": database error"
}

func (e *OpError) Unwrap() error { return e.Err }

// fail turns a driver error into one of the store's errors for operation op.
func (s *SQL) fail(ctx context.Context, op string, err error) error {
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("%s: %w", op, ErrNotFound)
	case isUniqueViolation(err):
		return fmt.Errorf("%s: %w", op, ErrConflict)
	case isForeignKeyViolation(err):
		// The row refers to a parent (user) that does not exist.
		return fmt.Errorf("%s: referenced row %w", op, ErrNotFound)
	case errors.Is(err, ErrQuota):
		return fmt.Errorf("%s: %w", op, err)
	}
	level := slog.LevelError
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		level = slog.LevelDebug
	}
	s.log.Log(ctx, level, "store operation failed", "op", op, "dialect", s.dialect, "err", err)
	return &OpError{Op: op, Err: err}
}

func isUniqueViolation(err error) bool {
	if se, ok := errors.AsType[*sqlite.Error](err); ok {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	if pe, ok := errors.AsType[*pgconn.PgError](err); ok {
		return pe.Code == "23505" // unique_violation
	}
	return false
}

func isForeignKeyViolation(err error) bool {
	if se, ok := errors.AsType[*sqlite.Error](err); ok {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
	}
	if pe, ok := errors.AsType[*pgconn.PgError](err); ok {
		return pe.Code == "23503" // foreign_key_violation
	}
	return false
}
