package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// sqliteReaders caps the read pool. WAL readers do not block each other or the
// writer; more connections than cores buys nothing but page caches.
func sqliteReaders() int { return max(4, runtime.GOMAXPROCS(0)) }

func openSQLite(ctx context.Context, path string, logger *slog.Logger) (*SQL, error) {
	if path == "" {
		return nil, fmt.Errorf("open sqlite: empty database path")
	}
	s := &SQL{dialect: DialectSQLite, log: logger, now: time.Now}
	if path == ":memory:" {
		// Every connection to :memory: is a separate database: one connection does all.
		db, err := sql.Open("sqlite", sqliteDSN(path, false))
		if err != nil {
			return nil, fmt.Errorf("open sqlite in memory: %w", err)
		}
		db.SetMaxOpenConns(1)
		db.SetConnMaxIdleTime(0)
		db.SetConnMaxLifetime(0)
		s.db, s.rdb = db, db
		return s, nil
	}

	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return nil, fmt.Errorf("open sqlite %s: create directory: %w", abs, err)
	}
	if err := privateFiles(abs); err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", abs, err)
	}
	w, err := sql.Open("sqlite", sqliteDSN(abs, false))
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", abs, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxIdleTime(0)
	w.SetConnMaxLifetime(0)
	// The writer connects first: it switches the file to WAL, which readers rely on.
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", abs, err)
	}
	r, err := sql.Open("sqlite", sqliteDSN(abs, true))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite %s for reading: %w", abs, err)
	}
	r.SetMaxOpenConns(sqliteReaders())
	r.SetMaxIdleConns(sqliteReaders())
	s.db, s.rdb = w, r
	return s, nil
}

// privateFiles makes the database at abs, its write-ahead log and its
// shared-memory index readable by their owner only: they hold password
// hashes and API secrets. SQLite creates a new database 0644 (less the
// umask) and gives the -wal and -shm files the database's mode, so the
// database is created 0600 before SQLite opens it, and files an older Kiln
// made are set 0600 again.
func privateFiles(abs string) error {
	f, err := os.OpenFile(abs, os.O_RDONLY|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	f.Close()
	for _, p := range []string{abs, abs + "-wal", abs + "-shm", abs + "-journal"} {
		if err := os.Chmod(p, 0o600); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// sqliteDSN builds a modernc.org/sqlite DSN for the file at abs.
func sqliteDSN(abs string, readOnly bool) string {
	v := url.Values{}
	// Waits for locks held by other processes (a CLI next to the server); writers
	// inside this process queue on the single write connection instead.
	v.Add("_pragma", "busy_timeout(10000)")
	v.Add("_pragma", "foreign_keys(1)")
	v.Add("_pragma", "journal_mode(WAL)")
	// NORMAL is durable across application crashes in WAL mode; only a power
	// loss can drop the last commits. FULL would fsync on every commit.
	v.Add("_pragma", "synchronous(NORMAL)")
	// PostgreSQL's LIKE is case-sensitive; make SQLite's agree.
	v.Add("_pragma", "case_sensitive_like(1)")
	v.Add("_pragma", "temp_store(MEMORY)")
	// Times are written as "2006-01-02 15:04:05.999999999-07:00" and parsed
	// back into time.Time from TIMESTAMP columns.
	v.Set("_time_format", "sqlite")
	if readOnly {
		v.Add("_pragma", "query_only(1)")
	} else {
		// Take the write lock at BEGIN, where busy_timeout applies, rather than at
		// the first write, where a stale WAL snapshot fails at once with SQLITE_BUSY.
		v.Set("_txlock", "immediate")
	}
	if abs == ":memory:" {
		return abs + "?" + v.Encode()
	}
	// A file: URI, so that '?' or '#' in a path cannot be taken for parameters.
	return "file:" + (&url.URL{Path: abs}).EscapedPath() + "?" + v.Encode()
}
