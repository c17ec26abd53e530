package service

import (
	"context"
	"errors"
	"strings"

	"github.com/kilnhq/kiln/internal/debian"
	"github.com/kilnhq/kiln/internal/distro"
	"github.com/kilnhq/kiln/internal/store"
	"github.com/kilnhq/kiln/internal/uforge"
)

// CreateScannedInstance creates the instance that groups a machine's scans
// (scanInstance_create). The name is unique per user: 409 when it exists.
func (s *Scans) CreateScannedInstance(ctx context.Context, p *Principal, uid string, in *uforge.ScannedInstance) (*uforge.ScannedInstance, error) {
	u, err := s.targetUser(ctx, p, uid)
	if err != nil {
		return nil, err
	}
	name := strings.TrimSpace(uforge.StrValue(in.Name))
	if name == "" || len(name) > 255 {
		return nil, invalid("scannedInstance.name", "scannedInstance/name: is required (at most 255 characters)")
	}
	d, err := scanDistribution(in.Distribution)
	if err != nil {
		return nil, err
	}
	si := &store.ScannedInstance{OwnerID: u.ID, Name: name, DistributionID: d.ID, OverlayIncluded: uforge.BoolValue(in.OverlayIncluded)}
	if err := s.store.CreateScannedInstance(ctx, si); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, conflict("scannedInstance.exists", "a scanned instance named %q exists already: scans with that name join it", name)
		}
		return nil, err
	}
	return s.renderInstance(ctx, u.Login, si, false)
}

// scanDistribution resolves the distribution a scanned instance declares:
// a supported Debian release (name optional, version required, arch x86_64/amd64).
func scanDistribution(d *uforge.Distribution) (distro.Distribution, error) {
	if d == nil || d.Version == nil {
		return distro.Distribution{}, invalid("scannedInstance.distribution", "scannedInstance/distribution: name, version and arch are required")
	}
	if n := uforge.StrValue(d.Name); n != "" && !strings.EqualFold(n, "debian") {
		return distro.Distribution{}, invalid("scannedInstance.distribution", "scannedInstance/distribution/name: %q is not supported: Kiln scans and rebuilds Debian systems", n)
	}
	if a := uforge.StrValue(d.Arch); a != "" && a != "x86_64" && a != "amd64" {
		return distro.Distribution{}, invalid("scannedInstance.distribution", "scannedInstance/distribution/arch: %q is not supported (x86_64 only)", a)
	}
	dist, ok := distro.Lookup(*d.Version)
	if !ok {
		return distro.Distribution{}, invalid("scannedInstance.distribution", "scannedInstance/distribution/version: Debian %q is not supported (%s are)", *d.Version, debian.SupportedList())
	}
	return dist, nil
}

// ownedInstance loads instance siid of user uid.
func (s *Scans) ownedInstance(ctx context.Context, p *Principal, uid string, siid int64) (*store.User, *store.ScannedInstance, error) {
	u, err := s.targetUser(ctx, p, uid)
	if err != nil {
		return nil, nil, err
	}
	si, err := s.store.GetScannedInstance(ctx, siid)
	if errors.Is(err, store.ErrNotFound) || (err == nil && si.OwnerID != u.ID) {
		return nil, nil, notFound("scannedInstance", "scanned instance %d does not exist", siid)
	}
	if err != nil {
		return nil, nil, err
	}
	return u, si, nil
}

// ListScannedInstances returns the user's instances (scanInstance_getAll),
// only the one named name when given, with their scans when includeScans.
func (s *Scans) ListScannedInstances(ctx context.Context, p *Principal, uid, name string, includeScans bool) (*uforge.ScannedInstances, error) {
	u, err := s.targetUser(ctx, p, uid)
	if err != nil {
		return nil, err
	}
	list, err := s.store.ListScannedInstances(ctx, u.ID, name)
	if err != nil {
		return nil, err
	}
	out := &uforge.ScannedInstances{Objects: uforge.Objects{Total: new(int64(len(list)))}, ScannedInstances: []uforge.ScannedInstance{}}
	for i := range list {
		w, err := s.renderInstance(ctx, u.Login, &list[i], includeScans)
		if err != nil {
			return nil, err
		}
		out.ScannedInstances = append(out.ScannedInstances, *w)
	}
	return out, nil
}

// GetScannedInstance returns one instance (scanInstance_get).
func (s *Scans) GetScannedInstance(ctx context.Context, p *Principal, uid string, siid int64, includeScans bool) (*uforge.ScannedInstance, error) {
	u, si, err := s.ownedInstance(ctx, p, uid, siid)
	if err != nil {
		return nil, err
	}
	return s.renderInstance(ctx, u.Login, si, includeScans)
}

// DeleteScannedInstance removes an instance with its scans, their overlays
// and their images.
func (s *Scans) DeleteScannedInstance(ctx context.Context, p *Principal, uid string, siid int64) error {
	_, si, err := s.ownedInstance(ctx, p, uid, siid)
	if err != nil {
		return err
	}
	return s.deleteInstance(ctx, si)
}

// DeleteScannedInstances removes every instance of the user.
func (s *Scans) DeleteScannedInstances(ctx context.Context, p *Principal, uid string) error {
	u, err := s.targetUser(ctx, p, uid)
	if err != nil {
		return err
	}
	list, err := s.store.ListScannedInstances(ctx, u.ID, "")
	if err != nil {
		return err
	}
	for i := range list {
		if err := s.deleteInstance(ctx, &list[i]); err != nil {
			return err
		}
	}
	return nil
}

func (s *Scans) deleteInstance(ctx context.Context, si *store.ScannedInstance) error {
	scans, err := s.store.ListScans(ctx, store.ScanFilter{InstanceID: si.ID})
	if err != nil {
		return err
	}
	for i := range scans {
		if err := s.deleteScanFiles(ctx, &scans[i]); err != nil {
			return err
		}
	}
	if err := s.store.DeleteScannedInstance(ctx, si.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return nil
}
