package store

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// Pool limits for PostgreSQL. A server's default max_connections is 100 and
// several kiln nodes share it; the job queue uses the same pool.
const (
	pgMaxOpenConns = 20
	pgMaxIdleConns = 10
	pgMaxIdleTime  = 5 * time.Minute
)

func openPostgres(ctx context.Context, dsn string, logger *slog.Logger) (*SQL, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		// pgx's parse errors already hide the password.
		return nil, fmt.Errorf("open postgres: parse dsn: %w", err)
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(pgMaxOpenConns)
	db.SetMaxIdleConns(pgMaxIdleConns)
	db.SetConnMaxIdleTime(pgMaxIdleTime)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open postgres %s:%d/%s: %w", cfg.Host, cfg.Port, cfg.Database, err)
	}
	return &SQL{db: db, rdb: db, dialect: DialectPostgres, log: logger, now: time.Now}, nil
}
