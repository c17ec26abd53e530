package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

const scannedInstanceColumns = `id, owner_id, name, distribution_id, overlay_included, created, modified`

const scanColumns = `id, instance_id, owner_id, name, state, percentage, message, error_message, report,
	overlay_received, overlay_size, overlay_sha256, overlay_key, overlay_manifest, created, modified`

// scanRunning is the SQL condition of a scan whose state may still change.
const scanRunning = `state = 'running'`

// CreateScannedInstance inserts in, setting ID, Created and Modified.
// ErrConflict when the owner has an instance of that name, ErrNotFound when
// the owner does not exist.
func (s *SQL) CreateScannedInstance(ctx context.Context, in *ScannedInstance) error {
	op := fmt.Sprintf("create scanned instance %q", in.Name)
	now := s.stamp()
	var id int64
	err := s.db.QueryRowContext(ctx, s.q(`INSERT INTO scanned_instances
		(owner_id, name, distribution_id, overlay_included, created, modified)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`),
		in.OwnerID, in.Name, in.DistributionID, in.OverlayIncluded, now, now,
	).Scan(&id)
	if err != nil {
		return s.fail(ctx, op, err)
	}
	in.ID, in.Created, in.Modified = id, now, now
	return nil
}

// GetScannedInstance returns scanned instance id.
func (s *SQL) GetScannedInstance(ctx context.Context, id int64) (*ScannedInstance, error) {
	in, err := scanScannedInstance(s.rdb.QueryRowContext(ctx,
		s.q(`SELECT `+scannedInstanceColumns+` FROM scanned_instances WHERE id = ?`), id))
	if err != nil {
		return nil, s.fail(ctx, fmt.Sprintf("get scanned instance %d", id), err)
	}
	return in, nil
}

// ListScannedInstances returns the instances of ownerID, oldest first; a
// non-empty name selects that one name.
func (s *SQL) ListScannedInstances(ctx context.Context, ownerID int64, name string) ([]ScannedInstance, error) {
	op := fmt.Sprintf("list scanned instances of user %d", ownerID)
	query := `SELECT ` + scannedInstanceColumns + ` FROM scanned_instances WHERE owner_id = ?`
	args := []any{ownerID}
	if name != "" {
		query += ` AND name = ?`
		args = append(args, name)
	}
	rows, err := s.rdb.QueryContext(ctx, s.q(query+` ORDER BY id`), args...)
	if err != nil {
		return nil, s.fail(ctx, op, err)
	}
	defer rows.Close()
	var out []ScannedInstance
	for rows.Next() {
		in, err := scanScannedInstance(rows)
		if err != nil {
			return nil, s.fail(ctx, op, err)
		}
		out = append(out, *in)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(ctx, op, err)
	}
	return out, nil
}

// DeleteScannedInstance removes instance id; the database cascades to its
// scans, and the rows of those scans' images go in the same transaction
// (images.scan_id has no foreign key).
func (s *SQL) DeleteScannedInstance(ctx context.Context, id int64) error {
	op := fmt.Sprintf("delete scanned instance %d", id)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM images
			WHERE scan_id IN (SELECT id FROM scans WHERE instance_id = ?)`), id); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, s.q(`DELETE FROM scanned_instances WHERE id = ?`), id)
		if err != nil {
			return err
		}
		return oneRow(res)
	})
	if err != nil {
		return s.fail(ctx, op, err)
	}
	return nil
}

// CreateScan inserts sc, setting ID, Created and Modified. An empty State is
// ScanRunning (and sc.State says so); Percentage is clamped to 0–100.
// ErrNotFound when ownerID has no instance sc.InstanceID: a scan and its
// instance always have the same owner. A *QuotaError when the owner's quotas
// in lim admit no more scans or bytes.
func (s *SQL) CreateScan(ctx context.Context, sc *Scan, lim Limits) error {
	op := fmt.Sprintf("create scan %q", sc.Name)
	state := sc.State
	switch state {
	case "":
		state = ScanRunning
	case ScanRunning, ScanComplete, ScanError, ScanCancelled:
	default:
		return fmt.Errorf("%s: %q is not a scan state", op, state)
	}
	pct := clampPercentage(sc.Percentage)
	now := s.stamp()
	var id int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var owner int64
		err := tx.QueryRowContext(ctx, s.q(`SELECT owner_id FROM scanned_instances WHERE id = ?`), sc.InstanceID).Scan(&owner)
		if err != nil {
			return err
		}
		if owner != sc.OwnerID {
			return sql.ErrNoRows
		}
		if err := s.admit(ctx, tx, sc.OwnerID, lim, Usage{Scans: 1, DiskBytes: 1}); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, s.q(`INSERT INTO scans
			(instance_id, owner_id, name, state, percentage, message, error_message, report, overlay_received,
			 overlay_size, overlay_sha256, overlay_key, overlay_manifest, created, modified)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
			sc.InstanceID, sc.OwnerID, sc.Name, state, pct, sc.Message, sc.ErrorMsg, string(sc.Report),
			sc.OverlayReceived, sc.OverlaySize, sc.OverlaySHA256, sc.OverlayKey, string(sc.OverlayManifest), now, now,
		).Scan(&id)
	})
	if err != nil {
		return s.fail(ctx, op, err)
	}
	sc.ID, sc.State, sc.Percentage, sc.Created, sc.Modified = id, state, pct, now, now
	return nil
}

// GetScan returns scan id.
func (s *SQL) GetScan(ctx context.Context, id int64) (*Scan, error) {
	sc, err := scanScan(s.rdb.QueryRowContext(ctx, s.q(`SELECT `+scanColumns+` FROM scans WHERE id = ?`), id))
	if err != nil {
		return nil, s.fail(ctx, fmt.Sprintf("get scan %d", id), err)
	}
	return sc, nil
}

// ListScans returns the scans matching f, oldest first.
func (s *SQL) ListScans(ctx context.Context, f ScanFilter) ([]Scan, error) {
	op := "list scans"
	var where []string
	var args []any
	if f.OwnerID != 0 {
		where = append(where, "owner_id = ?")
		args = append(args, f.OwnerID)
	}
	if f.InstanceID != 0 {
		where = append(where, "instance_id = ?")
		args = append(args, f.InstanceID)
	}
	query := `SELECT ` + scanColumns + ` FROM scans`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	rows, err := s.rdb.QueryContext(ctx, s.q(query+" ORDER BY id"), args...)
	if err != nil {
		return nil, s.fail(ctx, op, err)
	}
	defer rows.Close()
	var out []Scan
	for rows.Next() {
		sc, err := scanScan(rows)
		if err != nil {
			return nil, s.fail(ctx, op, err)
		}
		out = append(out, *sc)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(ctx, op, err)
	}
	return out, nil
}

// RenameScan changes the name of scan id, whatever its state.
func (s *SQL) RenameScan(ctx context.Context, id int64, name string) error {
	op := fmt.Sprintf("rename scan %d", id)
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE scans SET name = ?, modified = ? WHERE id = ?`), name, s.stamp(), id)
	if err != nil {
		return s.fail(ctx, op, err)
	}
	return s.expectOne(ctx, op, res)
}

// ScanOverlayProgress records the overlay bytes received so far of a running
// scan, with a percentage (clamped to 0–100) and message. False when the scan
// is terminal; ErrNotFound when there is no scan id.
func (s *SQL) ScanOverlayProgress(ctx context.Context, id, received int64, percentage int, message string) (bool, error) {
	op := fmt.Sprintf("progress of scan %d", id)
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE scans SET overlay_received = ?, percentage = ?, message = ?, modified = ?
		WHERE id = ? AND `+scanRunning), received, clampPercentage(percentage), message, s.stamp(), id)
	if err != nil {
		return false, s.fail(ctx, op, err)
	}
	return s.changedScan(ctx, op, id, res)
}

// CompleteScan records the stored overlay and makes a running scan complete
// (100 %), once. False when the scan was terminal already; ErrNotFound when
// there is no scan id.
func (s *SQL) CompleteScan(ctx context.Context, id int64, key string, size int64, sha256 string, manifest []byte) (bool, error) {
	op := fmt.Sprintf("complete scan %d", id)
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE scans SET state = 'complete', percentage = 100, message = 'Scan complete',
		overlay_key = ?, overlay_size = ?, overlay_sha256 = ?, overlay_manifest = ?, modified = ? WHERE id = ? AND `+scanRunning),
		key, size, sha256, string(manifest), s.stamp(), id)
	if err != nil {
		return false, s.fail(ctx, op, err)
	}
	return s.changedScan(ctx, op, id, res)
}

// FailScan makes a running scan error or cancelled (state), once. False when
// the scan was terminal already; ErrNotFound when there is no scan id.
func (s *SQL) FailScan(ctx context.Context, id int64, state, message, errMsg string) (bool, error) {
	op := fmt.Sprintf("fail scan %d", id)
	switch state {
	case ScanError, ScanCancelled:
	default:
		return false, fmt.Errorf("%s: %q is not a failed scan state", op, state)
	}
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE scans SET state = ?, message = ?, error_message = ?, modified = ?
		WHERE id = ? AND `+scanRunning), state, message, errMsg, s.stamp(), id)
	if err != nil {
		return false, s.fail(ctx, op, err)
	}
	return s.changedScan(ctx, op, id, res)
}

// DeleteScan removes scan id and, in the same transaction, its images' rows
// (images.scan_id has no foreign key).
func (s *SQL) DeleteScan(ctx context.Context, id int64) error {
	op := fmt.Sprintf("delete scan %d", id)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM images WHERE scan_id = ?`), id); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, s.q(`DELETE FROM scans WHERE id = ?`), id)
		if err != nil {
			return err
		}
		return oneRow(res)
	})
	if err != nil {
		return s.fail(ctx, op, err)
	}
	return nil
}

// changedScan reports whether a conditional update of scan id changed it: false
// when the condition (a running scan) did not hold, ErrNotFound when the scan
// does not exist.
func (s *SQL) changedScan(ctx context.Context, op string, id int64, res sql.Result) (bool, error) {
	ok, err := affected(res)
	if err != nil {
		return false, s.fail(ctx, op, err)
	}
	if ok {
		return true, nil
	}
	var one int
	if err := s.rdb.QueryRowContext(ctx, s.q(`SELECT 1 FROM scans WHERE id = ?`), id).Scan(&one); err != nil {
		return false, s.fail(ctx, op, err)
	}
	return false, nil
}

// oneRow returns sql.ErrNoRows when res changed no row, for use inside a
// transaction (fail maps it to ErrNotFound once the transaction is over).
func oneRow(res sql.Result) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return sql.ErrNoRows
	}
	return nil
}

func clampPercentage(p int) int { return min(max(p, 0), 100) }

func scanScannedInstance(r rowScanner) (*ScannedInstance, error) {
	var in ScannedInstance
	err := r.Scan(&in.ID, &in.OwnerID, &in.Name, &in.DistributionID, &in.OverlayIncluded, &in.Created, &in.Modified)
	if err != nil {
		return nil, err
	}
	in.Created, in.Modified = in.Created.UTC(), in.Modified.UTC()
	return &in, nil
}

func scanScan(r rowScanner) (*Scan, error) {
	var (
		sc               Scan
		report, manifest string
	)
	err := r.Scan(&sc.ID, &sc.InstanceID, &sc.OwnerID, &sc.Name, &sc.State, &sc.Percentage, &sc.Message, &sc.ErrorMsg,
		&report, &sc.OverlayReceived, &sc.OverlaySize, &sc.OverlaySHA256, &sc.OverlayKey, &manifest,
		&sc.Created, &sc.Modified)
	if err != nil {
		return nil, err
	}
	sc.Report, sc.OverlayManifest = []byte(report), []byte(manifest)
	sc.Created, sc.Modified = sc.Created.UTC(), sc.Modified.UTC()
	return &sc, nil
}
