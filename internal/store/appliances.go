package store

import (
	"context"
	"database/sql"
	"fmt"
)

const applianceColumns = `id, owner_id, name, version, revision, doc, created, modified`

// CreateAppliance inserts a, setting ID, Created and Modified. ErrConflict on a
// duplicate (owner, name, version), ErrNotFound when the owner does not exist,
// a *QuotaError when the owner holds lim.Appliances appliances already.
func (s *SQL) CreateAppliance(ctx context.Context, a *Appliance, lim Limits) error {
	op := fmt.Sprintf("create appliance %q version %q", a.Name, a.Version)
	now := s.stamp()
	var id int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.admit(ctx, tx, a.OwnerID, lim, Usage{Appliances: 1}); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, s.q(`INSERT INTO appliances
			(owner_id, name, version, revision, doc, created, modified)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`),
			a.OwnerID, a.Name, a.Version, a.Revision, string(a.Doc), now, now,
		).Scan(&id)
	})
	if err != nil {
		return s.fail(ctx, op, err)
	}
	a.ID, a.Created, a.Modified = id, now, now
	return nil
}

// GetAppliance returns appliance id if ownerID owns it.
func (s *SQL) GetAppliance(ctx context.Context, ownerID, id int64) (*Appliance, error) {
	op := fmt.Sprintf("get appliance %d", id)
	a, err := scanAppliance(s.rdb.QueryRowContext(ctx,
		s.q(`SELECT `+applianceColumns+` FROM appliances WHERE owner_id = ? AND id = ?`), ownerID, id))
	if err != nil {
		return nil, s.fail(ctx, op, err)
	}
	return a, nil
}

// ListAppliances returns the appliances of ownerID in creation order.
func (s *SQL) ListAppliances(ctx context.Context, ownerID int64) ([]Appliance, error) {
	op := fmt.Sprintf("list appliances of user %d", ownerID)
	rows, err := s.rdb.QueryContext(ctx,
		s.q(`SELECT `+applianceColumns+` FROM appliances WHERE owner_id = ? ORDER BY id`), ownerID)
	if err != nil {
		return nil, s.fail(ctx, op, err)
	}
	defer rows.Close()
	var as []Appliance
	for rows.Next() {
		a, err := scanAppliance(rows)
		if err != nil {
			return nil, s.fail(ctx, op, err)
		}
		as = append(as, *a)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(ctx, op, err)
	}
	return as, nil
}

// UpdateAppliance replaces Name, Version, Revision and Doc of appliance
// (a.OwnerID, a.ID) and sets Modified.
func (s *SQL) UpdateAppliance(ctx context.Context, a *Appliance) error {
	op := fmt.Sprintf("update appliance %d", a.ID)
	now := s.stamp()
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE appliances SET name = ?, version = ?, revision = ?, doc = ?, modified = ?
		WHERE owner_id = ? AND id = ?`), a.Name, a.Version, a.Revision, string(a.Doc), now, a.OwnerID, a.ID)
	if err != nil {
		return s.fail(ctx, op, err)
	}
	if err := s.expectOne(ctx, op, res); err != nil {
		return err
	}
	a.Modified = now
	return nil
}

// DeleteAppliance removes appliance id if ownerID owns it.
func (s *SQL) DeleteAppliance(ctx context.Context, ownerID, id int64) error {
	op := fmt.Sprintf("delete appliance %d", id)
	res, err := s.db.ExecContext(ctx, s.q(`DELETE FROM appliances WHERE owner_id = ? AND id = ?`), ownerID, id)
	if err != nil {
		return s.fail(ctx, op, err)
	}
	return s.expectOne(ctx, op, res)
}

func scanAppliance(r rowScanner) (*Appliance, error) {
	var (
		a   Appliance
		doc string
	)
	err := r.Scan(&a.ID, &a.OwnerID, &a.Name, &a.Version, &a.Revision, &doc, &a.Created, &a.Modified)
	if err != nil {
		return nil, err
	}
	a.Doc = []byte(doc)
	a.Created, a.Modified = a.Created.UTC(), a.Modified.UTC()
	return &a, nil
}
