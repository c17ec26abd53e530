package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// The schema differs between dialects only in types (identity columns,
// booleans, timestamps, collations), so each dialect has its own directory with
// the same versions; a test keeps the two lists in step.
//
//go:embed migrations
var migrations embed.FS

// migrationDir is the directory of dialect d's migrations inside migrations.
func migrationDir(d Dialect) string { return "migrations/" + string(d) }

// migrate applies pending migrations.
func (s *SQL) migrate(ctx context.Context) error {
	start := time.Now()
	dir, err := fs.Sub(migrations, migrationDir(s.dialect))
	if err != nil {
		return fmt.Errorf("migrate %s schema: %w", s.dialect, err)
	}
	opts := []goose.ProviderOption{
		goose.WithDisableGlobalRegistry(true),
		goose.WithSlog(s.log.With("component", "migrate")),
	}
	gd := goose.DialectSQLite3
	if s.dialect == DialectPostgres {
		gd = goose.DialectPostgres
		// Several nodes may start at once against one server: an advisory lock
		// makes one of them migrate while the others wait.
		// Poll every second (goose's default is 5 s) for up to 5 minutes.
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 300))
		if err != nil {
			return fmt.Errorf("migrate %s schema: %w", s.dialect, err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	// The provider does not own db: it must not be closed (Provider.Close closes db).
	p, err := goose.NewProvider(gd, s.db, dir, opts...)
	if err != nil {
		return fmt.Errorf("migrate %s schema: %w", s.dialect, err)
	}
	res, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("migrate %s schema: %w", s.dialect, err)
	}
	version, err := p.GetDBVersion(ctx)
	if err != nil {
		return fmt.Errorf("migrate %s schema: read version: %w", s.dialect, err)
	}
	s.log.InfoContext(ctx, "schema up to date", "dialect", s.dialect, "version", version,
		"applied", len(res), "duration", time.Since(start))
	return nil
}
