package queue

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"
)

// client is what Queue uses of a river.Client, whatever its transaction type:
// *river.Client[*sql.Tx] (SQLite) and *river.Client[pgx.Tx] (PostgreSQL) both fit.
type client interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	StopAndCancel(ctx context.Context) error
	Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	JobCancel(ctx context.Context, jobID int64) (*rivertype.JobRow, error)
	JobGet(ctx context.Context, jobID int64) (*rivertype.JobRow, error)
	SubscribeConfig(cfg *river.SubscribeConfig) (<-chan *river.Event, func())
}

// backend is one database's River driver, migrated, with its client.
type backend struct {
	client client
	exec   riverdriver.Executor // for rescuing orphans, which River's API does not offer
	close  func()               // releases what the backend opened itself
}

func openSQLite(ctx context.Context, db *sql.DB, rc *river.Config) (*backend, error) {
	drv := riversqlite.New(db)
	if err := migrate(ctx, drv, rc); err != nil {
		return nil, err
	}
	c, err := river.NewClient(drv, rc)
	if err != nil {
		return nil, fmt.Errorf("queue: river client: %w", err)
	}
	return &backend{client: c, exec: drv.GetExecutor(), close: func() {}}, nil
}

func openPostgres(ctx context.Context, dsn string, workers int, rc *river.Config) (*backend, error) {
	pc, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("queue: parse postgres dsn: %w", err)
	}
	// Each running job needs a connection only briefly (fetch, completion), but the
	// notifier holds one for LISTEN and maintenance services take a few.
	pc.MaxConns = int32(max(8, workers+4))
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("queue: open postgres pool: %w", err)
	}
	drv := riverpgxv5.New(pool)
	if err := migrate(ctx, drv, rc); err != nil {
		pool.Close()
		return nil, err
	}
	c, err := river.NewClient(drv, rc)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("queue: river client: %w", err)
	}
	return &backend{client: c, exec: drv.GetExecutor(), close: pool.Close}, nil
}

// migrate brings River's tables up to date. Concurrent nodes may race here;
// River's migrator records versions in river_migration, so a loser fails loudly
// rather than corrupting anything, and a restart succeeds.
func migrate[TTx any](ctx context.Context, drv riverdriver.Driver[TTx], rc *river.Config) error {
	m, err := rivermigrate.New(drv, &rivermigrate.Config{Logger: rc.Logger})
	if err != nil {
		return fmt.Errorf("queue: river migrator: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("queue: river migrations: %w", err)
	}
	return nil
}
