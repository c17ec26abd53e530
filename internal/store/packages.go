package store

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Rows per multi-row statement: 1000 rows of 8 columns stay well under both
// SQLite's (32766) and PostgreSQL's (65535) limit on bound parameters.
const (
	packageBatch = 1000
	idBatch      = 1000
	nameBatch    = 500
)

const packageColumns = `id, distribution_id, name, version, arch, section, size, filename`

// packageKey identifies a package within a distribution across index refreshes.
type packageKey struct{ name, version, arch string }

func keyOf(p *Package) packageKey { return packageKey{p.Name, p.Version, p.Arch} }

// ReplacePackages makes pkgs the whole index of distributionID in one
// transaction. A package whose (name, version, arch) was already indexed keeps
// its id, because appliances refer to packages by id; its other fields are
// updated. When pkgs holds the same (name, version, arch) twice, the last wins.
// IDs set in pkgs are ignored.
func (s *SQL) ReplacePackages(ctx context.Context, distributionID int64, pkgs []Package, refreshed time.Time) error {
	op := fmt.Sprintf("replace packages of distribution %d", distributionID)
	last := make(map[packageKey]int, len(pkgs))
	for i := range pkgs {
		last[keyOf(&pkgs[i])] = i
	}
	start := time.Now()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		existing, err := s.indexedPackages(ctx, tx, distributionID)
		if err != nil {
			return err
		}
		var (
			gone             []int64
			changed, created []Package
		)
		for k, p := range existing {
			if _, ok := last[k]; !ok {
				gone = append(gone, p.ID)
			}
		}
		slices.Sort(gone)
		for i := range pkgs {
			p := pkgs[i]
			k := keyOf(&p)
			if last[k] != i {
				continue
			}
			old, ok := existing[k]
			switch {
			case !ok:
				created = append(created, p)
			case old.Section != p.Section || old.Size != p.Size || old.Filename != p.Filename:
				p.ID = old.ID
				changed = append(changed, p)
			}
		}
		read := time.Since(start)
		// A changed package is deleted and inserted again under its old id:
		// multi-row inserts are the fastest write both databases have, where
		// multi-row updates are not (PostgreSQL plans UPDATE … FROM (VALUES …)
		// as a scan of the whole table per batch).
		for _, p := range changed {
			gone = append(gone, p.ID)
		}
		if err := s.deletePackages(ctx, tx, gone); err != nil {
			return err
		}
		if err := s.insertPackages(ctx, tx, distributionID, changed, true); err != nil {
			return err
		}
		if err := s.insertPackages(ctx, tx, distributionID, created, false); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, s.q(`INSERT INTO package_indexes (distribution_id, package_count, refreshed)
			VALUES (?, ?, ?) ON CONFLICT (distribution_id) DO UPDATE
			SET package_count = excluded.package_count, refreshed = excluded.refreshed`),
			distributionID, len(last), refreshed.UTC().Truncate(time.Microsecond))
		s.log.DebugContext(ctx, "package index diffed and written", "distribution", distributionID,
			"read", read, "written", time.Since(start)-read,
			"deleted", len(gone)-len(changed), "updated", len(changed), "inserted", len(created))
		return err
	})
	if err != nil {
		return s.fail(ctx, op, err)
	}
	s.log.InfoContext(ctx, "package index replaced", "distribution", distributionID,
		"packages", len(last), "duration", time.Since(start))
	return nil
}

// indexedPackages reads the current index of a distribution, keyed by identity.
func (s *SQL) indexedPackages(ctx context.Context, tx *sql.Tx, distributionID int64) (map[packageKey]Package, error) {
	rows, err := tx.QueryContext(ctx, s.q(`SELECT `+packageColumns+` FROM packages WHERE distribution_id = ?`), distributionID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	m := map[packageKey]Package{}
	for rows.Next() {
		p, err := scanPackage(rows)
		if err != nil {
			return nil, err
		}
		m[keyOf(p)] = *p
	}
	return m, rows.Err()
}

func (s *SQL) deletePackages(ctx context.Context, tx *sql.Tx, ids []int64) error {
	for batch := range slices.Chunk(ids, idBatch) {
		args := make([]any, len(batch))
		for i, id := range batch {
			args[i] = id
		}
		q := `DELETE FROM packages WHERE id IN (` + strings.TrimSuffix(strings.Repeat("?,", len(batch)), ",") + `)`
		if _, err := tx.ExecContext(ctx, s.q(q), args...); err != nil {
			return err
		}
	}
	return nil
}

// insertPackages inserts pkgs, with their IDs when keepIDs (ids taken before
// from the identity sequence, so they cannot collide with new ones).
func (s *SQL) insertPackages(ctx context.Context, tx *sql.Tx, distributionID int64, pkgs []Package, keepIDs bool) error {
	cols, n := `distribution_id, name, version, arch, section, size, filename`, 7
	if keepIDs {
		cols, n = `id, `+cols, 8
	}
	args := make([]any, 0, n*packageBatch)
	for batch := range slices.Chunk(pkgs, packageBatch) {
		args = args[:0]
		for _, p := range batch {
			if keepIDs {
				args = append(args, p.ID)
			}
			args = append(args, distributionID, p.Name, p.Version, p.Arch, p.Section, p.Size, p.Filename)
		}
		q := `INSERT INTO packages (` + cols + `) VALUES ` + placeholders(len(batch), n)
		if _, err := tx.ExecContext(ctx, s.q(q), args...); err != nil {
			return err
		}
	}
	return nil
}

// SearchPackages returns one page of the packages of distributionID matching f,
// ordered by name, version, arch and id (byte order on both databases), and the
// number of matches. Negative Offset or Limit count as 0.
func (s *SQL) SearchPackages(ctx context.Context, distributionID int64, f PackageFilter) ([]Package, int, error) {
	op := fmt.Sprintf("search packages of distribution %d", distributionID)
	where := `distribution_id = ?`
	args := []any{distributionID}
	if f.Name != "" {
		c, a := matchClause("name", f.Name)
		where += ` AND ` + c
		args = append(args, a)
	}
	if f.Version != "" {
		c, a := matchClause("version", f.Version)
		where += ` AND ` + c
		args = append(args, a)
	}
	limit := int64(math.MaxInt64) // both databases accept a huge LIMIT; "no limit" is spelled differently
	if f.Limit > 0 {
		limit = int64(f.Limit)
	}
	offset := max(f.Offset, 0)

	rows, err := s.rdb.QueryContext(ctx, s.q(`SELECT `+packageColumns+`, COUNT(*) OVER ()
		FROM packages WHERE `+where+` ORDER BY name, version, arch, id LIMIT ? OFFSET ?`),
		append(args, limit, offset)...)
	if err != nil {
		return nil, 0, s.fail(ctx, op, err)
	}
	defer rows.Close()
	var (
		pkgs  []Package
		total int
	)
	for rows.Next() {
		var p Package
		if err := rows.Scan(&p.ID, &p.DistributionID, &p.Name, &p.Version, &p.Arch, &p.Section, &p.Size, &p.Filename, &total); err != nil {
			return nil, 0, s.fail(ctx, op, err)
		}
		pkgs = append(pkgs, p)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, s.fail(ctx, op, err)
	}
	rows.Close()
	if len(pkgs) == 0 && offset > 0 {
		// Past the last page the window count has no row to ride on.
		if err := s.rdb.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM packages WHERE `+where), args...).Scan(&total); err != nil {
			return nil, 0, s.fail(ctx, op, err)
		}
	}
	return pkgs, total, nil
}

// matchClause compares column with pattern: equality, or LIKE when pattern has
// '*' wildcards, escaping LIKE's own wildcards so that '%' and '_' match themselves.
func matchClause(column, pattern string) (string, string) {
	if !strings.Contains(pattern, "*") {
		return column + ` = ?`, pattern
	}
	var b strings.Builder
	for _, r := range pattern {
		switch r {
		case '\\', '%', '_':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '*':
			b.WriteByte('%')
		default:
			b.WriteRune(r)
		}
	}
	return column + ` LIKE ? ESCAPE '\'`, b.String()
}

// GetPackage returns package id of distributionID.
func (s *SQL) GetPackage(ctx context.Context, distributionID, id int64) (*Package, error) {
	op := fmt.Sprintf("get package %d of distribution %d", id, distributionID)
	p, err := scanPackage(s.rdb.QueryRowContext(ctx,
		s.q(`SELECT `+packageColumns+` FROM packages WHERE distribution_id = ? AND id = ?`), distributionID, id))
	if err != nil {
		return nil, s.fail(ctx, op, err)
	}
	return p, nil
}

// PackagesByName returns every indexed version of the named packages, ordered
// by name, version, arch and id. Names not indexed are simply absent.
func (s *SQL) PackagesByName(ctx context.Context, distributionID int64, names []string) ([]Package, error) {
	op := fmt.Sprintf("get packages by name of distribution %d", distributionID)
	set := slices.Clone(names)
	slices.Sort(set) // batches in name order keep the result in name order
	set = slices.Compact(set)
	var pkgs []Package
	for batch := range slices.Chunk(set, nameBatch) {
		args := make([]any, 0, len(batch)+1)
		args = append(args, distributionID)
		for _, n := range batch {
			args = append(args, n)
		}
		q := `SELECT ` + packageColumns + ` FROM packages WHERE distribution_id = ? AND name IN (` +
			strings.TrimSuffix(strings.Repeat("?,", len(batch)), ",") + `) ORDER BY name, version, arch, id`
		rows, err := s.rdb.QueryContext(ctx, s.q(q), args...)
		if err != nil {
			return nil, s.fail(ctx, op, err)
		}
		for rows.Next() {
			p, err := scanPackage(rows)
			if err != nil {
				rows.Close()
				return nil, s.fail(ctx, op, err)
			}
			pkgs = append(pkgs, *p)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, s.fail(ctx, op, err)
		}
	}
	return pkgs, nil
}

// PackageIndex reports the size and refresh time of the index of distributionID.
func (s *SQL) PackageIndex(ctx context.Context, distributionID int64) (int, time.Time, error) {
	var (
		n         int
		refreshed time.Time
	)
	err := s.rdb.QueryRowContext(ctx, s.q(`SELECT package_count, refreshed FROM package_indexes WHERE distribution_id = ?`),
		distributionID).Scan(&n, &refreshed)
	switch {
	case err == sql.ErrNoRows:
		return 0, time.Time{}, nil
	case err != nil:
		return 0, time.Time{}, s.fail(ctx, fmt.Sprintf("read package index of distribution %d", distributionID), err)
	}
	return n, refreshed.UTC(), nil
}

func scanPackage(r rowScanner) (*Package, error) {
	var p Package
	if err := r.Scan(&p.ID, &p.DistributionID, &p.Name, &p.Version, &p.Arch, &p.Section, &p.Size, &p.Filename); err != nil {
		return nil, err
	}
	return &p, nil
}
