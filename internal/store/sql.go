package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
)

// Dialect names the SQL database behind a SQL store.
type Dialect string

// The dialects Open understands.
const (
	DialectSQLite   Dialect = "sqlite"
	DialectPostgres Dialect = "postgres"
)

// SQL is the Store implementation for SQLite and PostgreSQL. Both run the same
// queries, written with '?' placeholders and rebound to $n for PostgreSQL.
type SQL struct {
	// db takes every write. On SQLite it has a single connection: SQLite allows
	// one writer at a time, and queueing writers in Go instead of in SQLite's
	// busy handler means they never fail with "database is locked".
	db *sql.DB
	// rdb serves reads. On SQLite it is a separate pool of query-only
	// connections, so that WAL readers are not stuck behind a long write (a
	// package index refresh); on PostgreSQL it is db.
	rdb     *sql.DB
	dialect Dialect
	log     *slog.Logger
	now     func() time.Time
}

var _ Store = (*SQL)(nil)

// Open opens the database named by dsn and brings its schema up to date. A dsn
// starting with postgres:// or postgresql:// opens PostgreSQL; anything else is
// the path of a SQLite file, created with its parent directories if missing.
// A nil logger discards logs.
func Open(ctx context.Context, dsn string, logger *slog.Logger) (*SQL, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	var (
		s   *SQL
		err error
	)
	if isPostgresDSN(dsn) {
		s, err = openPostgres(ctx, dsn, logger)
	} else {
		s, err = openSQLite(ctx, dsn, logger)
	}
	if err != nil {
		return nil, err
	}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func isPostgresDSN(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// DB returns the connection pool that takes writes, for components that keep
// their own tables in the same database (the durable job queue). On SQLite it
// has a single connection: never hold a transaction on it while waiting for
// another query on the same pool.
func (s *SQL) DB() *sql.DB { return s.db }

// Dialect reports which database s runs on.
func (s *SQL) Dialect() Dialect { return s.dialect }

// Close releases the database.
func (s *SQL) Close() error {
	var errs []error
	if s.rdb != s.db {
		errs = append(errs, s.rdb.Close())
	}
	errs = append(errs, s.db.Close())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close database: %w", err)
	}
	return nil
}

// q adapts a query written with '?' placeholders to the dialect.
func (s *SQL) q(query string) string {
	if s.dialect != DialectPostgres {
		return query
	}
	return rebindDollar(query)
}

// rebindDollar turns each '?' outside string literals into $1, $2 …
func rebindDollar(query string) string {
	var b strings.Builder
	b.Grow(len(query) + len(query)/4)
	n := 0
	inQuote := false
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'':
			inQuote = !inQuote // '' inside a literal toggles twice: still inside
			b.WriteByte(c)
		case c == '?' && !inQuote:
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// inTx runs fn in a write transaction, committing when fn returns nil.
func (s *SQL) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback() // fn's error says what went wrong; the rollback error adds nothing
		return err
	}
	return tx.Commit()
}

// stamp is the current time as both databases store it: UTC, microseconds
// (PostgreSQL's precision), so that what a caller holds equals what it reads back.
func (s *SQL) stamp() time.Time {
	return s.now().UTC().Truncate(time.Microsecond)
}

// placeholders returns rows groups of cols '?' each: "(?,?),(?,?)".
func placeholders(rows, cols int) string {
	group := "(" + strings.Repeat("?,", cols-1) + "?)"
	var b strings.Builder
	b.Grow(rows * (len(group) + 1))
	for i := range rows {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(group)
	}
	return b.String()
}
