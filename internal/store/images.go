package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

const imageColumns = `id, owner_id, appliance_id, scan_id, format_id, name, version, revision, compress, spec, request,
	state, percentage, message, error_message, detailed_error, job_id, artifact, file_size, sha256, packages,
	fidelity, download_key, download_key_issued, started, finished, created, modified,
	COALESCE((SELECT instance_id FROM scans WHERE scans.id = images.scan_id), 0)`

// nonTerminal is the SQL condition of an image whose state may still change.
const nonTerminal = `state IN ('queued', 'running')`

// CreateImage inserts img, setting ID, Created, Modified and
// DownloadKeyIssued, once the owner's quotas in lim admit one more image, one
// more queued generation and further bytes (a *QuotaError otherwise).
func (s *SQL) CreateImage(ctx context.Context, img *Image, lim Limits) error {
	op := fmt.Sprintf("create image of %q", img.Name)
	now := s.stamp()
	var id int64
	active := int64(0)
	if img.State == ImageQueued || img.State == ImageRunning {
		active = 1
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.admit(ctx, tx, img.OwnerID, lim, Usage{Images: 1, Active: active, DiskBytes: 1}); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, s.q(`INSERT INTO images
			(owner_id, appliance_id, scan_id, format_id, name, version, revision, compress, spec, request, state,
			 percentage, message, fidelity, download_key, download_key_issued, created, modified)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
			img.OwnerID, nullID(img.ApplianceID), nullID(img.ScanID), img.FormatID, img.Name, img.Version, img.Revision,
			img.Compress, string(img.Spec), string(img.Request), img.State, img.Percentage, img.Message, string(img.Fidelity),
			img.DownloadKey, now, now, now,
		).Scan(&id)
	})
	if err != nil {
		return s.fail(ctx, op, err)
	}
	img.ID, img.Created, img.Modified, img.DownloadKeyIssued = id, now, now, now
	return nil
}

// GetImage returns image id.
func (s *SQL) GetImage(ctx context.Context, id int64) (*Image, error) {
	img, err := scanImage(s.rdb.QueryRowContext(ctx, s.q(`SELECT `+imageColumns+` FROM images WHERE id = ?`), id))
	if err != nil {
		return nil, s.fail(ctx, fmt.Sprintf("get image %d", id), err)
	}
	return img, nil
}

// ListImages returns the images matching f, oldest first.
func (s *SQL) ListImages(ctx context.Context, f ImageFilter) ([]Image, error) {
	op := "list images"
	var where []string
	var args []any
	add := func(cond string, v any) {
		where = append(where, cond)
		args = append(args, v)
	}
	if f.OwnerID != 0 {
		add("owner_id = ?", f.OwnerID)
	}
	if f.ApplianceID != 0 {
		add("appliance_id = ?", f.ApplianceID)
	}
	if f.ScanID != 0 {
		add("scan_id = ?", f.ScanID)
	}
	if f.State != "" {
		add("state = ?", f.State)
	}
	query := `SELECT ` + imageColumns + ` FROM images`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	rows, err := s.rdb.QueryContext(ctx, s.q(query+" ORDER BY id"), args...)
	if err != nil {
		return nil, s.fail(ctx, op, err)
	}
	defer rows.Close()
	var out []Image
	for rows.Next() {
		img, err := scanImage(rows)
		if err != nil {
			return nil, s.fail(ctx, op, err)
		}
		out = append(out, *img)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(ctx, op, err)
	}
	return out, nil
}

// SetImageJob records the queue job of an image.
func (s *SQL) SetImageJob(ctx context.Context, id, jobID int64) error {
	op := fmt.Sprintf("set job of image %d", id)
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE images SET job_id = ?, modified = ? WHERE id = ?`), jobID, s.stamp(), id)
	if err != nil {
		return s.fail(ctx, op, err)
	}
	return s.expectOne(ctx, op, res)
}

// ImageProgress moves a non-terminal image to running with a percentage and message.
func (s *SQL) ImageProgress(ctx context.Context, id int64, percentage int, message string) (bool, error) {
	op := fmt.Sprintf("progress of image %d", id)
	now := s.stamp()
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE images SET state = 'running', percentage = ?, message = ?, modified = ?,
		started = COALESCE(started, ?) WHERE id = ? AND `+nonTerminal), percentage, message, now, now, id)
	if err != nil {
		return false, s.fail(ctx, op, err)
	}
	return affected(res)
}

// FinishImage sets a terminal state, once. Only a completion records
// o.Fidelity: an image that failed keeps the comparison it had.
func (s *SQL) FinishImage(ctx context.Context, id int64, o ImageOutcome) (bool, error) {
	op := fmt.Sprintf("finish image %d", id)
	switch o.State {
	case ImageComplete, ImageError, ImageCancelled:
	default:
		return false, fmt.Errorf("%s: %q is not a terminal state", op, o.State)
	}
	pct := 0
	if o.State == ImageComplete {
		pct = 100
	}
	now := s.stamp()
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE images SET state = ?, percentage = CASE WHEN ? = 100 THEN 100 ELSE percentage END,
		message = ?, error_message = ?, detailed_error = ?, artifact = ?, file_size = ?, sha256 = ?, packages = ?,
		fidelity = CASE WHEN ? = 100 THEN ? ELSE fidelity END, finished = ?, modified = ? WHERE id = ? AND `+nonTerminal),
		o.State, pct, o.Message, o.ErrorMsg, o.DetailedErr, o.Artifact, o.FileSize, o.SHA256, string(o.Packages),
		pct, string(o.Fidelity), now, now, id)
	if err != nil {
		return false, s.fail(ctx, op, err)
	}
	return affected(res)
}

// SwapDownloadKey replaces old by new atomically; new counts as issued now.
func (s *SQL) SwapDownloadKey(ctx context.Context, id int64, old, new string) (bool, error) {
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE images SET download_key = ?, download_key_issued = ?
		WHERE id = ? AND download_key = ?`), new, s.stamp(), id, old)
	if err != nil {
		return false, s.fail(ctx, fmt.Sprintf("swap download key of image %d", id), err)
	}
	return affected(res)
}

// DeleteImage removes image id.
func (s *SQL) DeleteImage(ctx context.Context, id int64) error {
	op := fmt.Sprintf("delete image %d", id)
	res, err := s.db.ExecContext(ctx, s.q(`DELETE FROM images WHERE id = ?`), id)
	if err != nil {
		return s.fail(ctx, op, err)
	}
	return s.expectOne(ctx, op, res)
}

func affected(res sql.Result) (bool, error) {
	n, err := res.RowsAffected()
	return n > 0, err
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func scanImage(r rowScanner) (*Image, error) {
	var (
		img                               Image
		appliance, scan                   sql.NullInt64
		spec, request, packages, fidelity string
		issued, started, finished         sql.NullTime
	)
	err := r.Scan(&img.ID, &img.OwnerID, &appliance, &scan, &img.FormatID, &img.Name, &img.Version, &img.Revision,
		&img.Compress, &spec, &request, &img.State, &img.Percentage, &img.Message, &img.ErrorMsg, &img.DetailedErr,
		&img.JobID, &img.Artifact, &img.FileSize, &img.SHA256, &packages, &fidelity, &img.DownloadKey, &issued, &started, &finished,
		&img.Created, &img.Modified, &img.ScanInstanceID)
	if err != nil {
		return nil, err
	}
	img.ApplianceID, img.ScanID = appliance.Int64, scan.Int64
	img.Spec, img.Request, img.Packages, img.Fidelity = []byte(spec), []byte(request), []byte(packages), []byte(fidelity)
	img.DownloadKeyIssued, img.Started, img.Finished = utcOrZero(issued), utcOrZero(started), utcOrZero(finished)
	img.Created, img.Modified = img.Created.UTC(), img.Modified.UTC()
	return &img, nil
}

func utcOrZero(t sql.NullTime) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time.UTC()
}
