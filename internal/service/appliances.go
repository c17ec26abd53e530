package service

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/kilnhq/kiln/internal/distro"
	"github.com/kilnhq/kiln/internal/store"
	"github.com/kilnhq/kiln/internal/uforge"
)

// Appliances holds the use cases of appliances (templates): the appliance
// itself, its OS profile and package list, and its install profile.
type Appliances struct{ base }

// NewAppliances returns the appliance use cases on st.
func NewAppliances(st store.Store, cfg Config) *Appliances { return &Appliances{newBase(st, cfg)} }

// CreateAppliance creates a template from an appliance body: name and version are
// required; distributionUri, osProfile and installProfile are optional.
func (s *Appliances) CreateAppliance(ctx context.Context, p *Principal, uid string, in *uforge.Appliance) (*uforge.Appliance, error) {
	u, err := s.targetUser(ctx, p, uid)
	if err != nil {
		return nil, err
	}
	name, version := deref(in.Name), deref(in.Version)
	if err := checkNameVersion(name, version); err != nil {
		return nil, err
	}
	if in.OrgURI != nil && strings.Trim(*in.OrgURI, "/") != orgURI() {
		return nil, invalid("appliance.org", "appliance/orgUri: %q is not an organization (Kiln has %q)", *in.OrgURI, orgURI())
	}
	d := &applianceDoc{Description: deref(in.Description), Install: defaultInstallProfile()}
	if in.DistributionURI != nil {
		dist, err := distributionByURI(*in.DistributionURI, "appliance/distributionUri")
		if err != nil {
			return nil, err
		}
		d.DistributionID = dist.ID
	}
	if in.OSProfile != nil {
		if d.OSProfile, d.DistributionID, err = s.newOSProfile(ctx, in.OSProfile, d.DistributionID, "appliance/osProfile"); err != nil {
			return nil, err
		}
	}
	if in.InstallProfile != nil {
		if err := mergeInstallProfile(d.Install, in.InstallProfile, "appliance/installProfile"); err != nil {
			return nil, err
		}
	}
	doc, err := encodeDoc(d)
	if err != nil {
		return nil, err
	}
	a := &store.Appliance{OwnerID: u.ID, Name: name, Version: version, Revision: 1, Doc: doc}
	if err := s.insert(ctx, u, a); err != nil {
		return nil, err
	}
	return s.renderAppliance(ctx, u.Login, a, d)
}

// GetAppliance returns one appliance.
func (s *Appliances) GetAppliance(ctx context.Context, p *Principal, uid string, aid int64) (*uforge.Appliance, error) {
	u, a, d, err := s.owned(ctx, p, uid, aid)
	if err != nil {
		return nil, err
	}
	return s.renderAppliance(ctx, u.Login, a, d)
}

// ListAppliances returns the appliances of uid matching q.
func (s *Appliances) ListAppliances(ctx context.Context, p *Principal, uid string, q Query) (*uforge.Appliances, error) {
	u, err := s.targetUser(ctx, p, uid)
	if err != nil {
		return nil, err
	}
	rows, err := s.store.ListAppliances(ctx, u.ID)
	if err != nil {
		return nil, fmt.Errorf("list appliances: %w", err)
	}
	all := make([]uforge.Appliance, 0, len(rows))
	for i := range rows {
		d, err := decodeDoc(&rows[i])
		if err != nil {
			return nil, err
		}
		a, err := s.renderAppliance(ctx, u.Login, &rows[i], d)
		if err != nil {
			return nil, err
		}
		all = append(all, *a)
	}
	page, total, err := search(all, q)
	if err != nil {
		return nil, err
	}
	return &uforge.Appliances{Objects: uforge.Objects{Total: new(int64(total))}, Appliances: page}, nil
}

// UpdateAppliance changes name, version and description (and, when present, the
// install profile); the revision goes up.
func (s *Appliances) UpdateAppliance(ctx context.Context, p *Principal, uid string, aid int64, in *uforge.Appliance) (*uforge.Appliance, error) {
	u, a, d, err := s.owned(ctx, p, uid, aid)
	if err != nil {
		return nil, err
	}
	if in.Name != nil {
		a.Name = *in.Name
	}
	if in.Version != nil {
		a.Version = *in.Version
	}
	if err := checkNameVersion(a.Name, a.Version); err != nil {
		return nil, err
	}
	if in.Description != nil {
		d.Description = *in.Description
	}
	if in.InstallProfile != nil {
		if err := mergeInstallProfile(d.Install, in.InstallProfile, "appliance/installProfile"); err != nil {
			return nil, err
		}
	}
	if err := s.saveAppliance(ctx, a, d); err != nil {
		return nil, err
	}
	return s.renderAppliance(ctx, u.Login, a, d)
}

// DeleteAppliance removes an appliance (and, later, its images).
func (s *Appliances) DeleteAppliance(ctx context.Context, p *Principal, uid string, aid int64, force bool) error {
	u, _, _, err := s.owned(ctx, p, uid, aid)
	if err != nil {
		return err
	}
	if err := s.store.DeleteAppliance(ctx, u.ID, aid); err != nil {
		return fmt.Errorf("delete appliance: %w", err)
	}
	return nil
}

// CloneAppliance copies an appliance under a new name and version (both required).
func (s *Appliances) CloneAppliance(ctx context.Context, p *Principal, uid string, aid int64, in *uforge.Appliance) (*uforge.Appliance, error) {
	u, src, d, err := s.owned(ctx, p, uid, aid)
	if err != nil {
		return nil, err
	}
	name, version := deref(in.Name), deref(in.Version)
	if err := checkNameVersion(name, version); err != nil {
		return nil, err
	}
	if in.Description != nil {
		d.Description = *in.Description
	}
	d.ParentID = src.ID
	if d.OSProfile != nil {
		d.OSProfile.Created = s.now().UTC()
	}
	doc, err := encodeDoc(d)
	if err != nil {
		return nil, err
	}
	a := &store.Appliance{OwnerID: u.ID, Name: name, Version: version, Revision: 1, Doc: doc}
	if err := s.insert(ctx, u, a); err != nil {
		return nil, err
	}
	return s.renderAppliance(ctx, u.Login, a, d)
}

// insert stores a new appliance of u within u's appliance quota.
func (s *Appliances) insert(ctx context.Context, u *store.User, a *store.Appliance) error {
	lim, err := s.limits(ctx, u)
	if err != nil {
		return err
	}
	err = s.store.CreateAppliance(ctx, a, lim)
	switch {
	case errors.Is(err, store.ErrConflict):
		return conflict("appliance.exists", "an appliance named %q version %q already exists", a.Name, a.Version)
	case err != nil:
		return fmt.Errorf("create appliance: %w", quotaRefusal(u.Login, err))
	}
	return nil
}

func (s *Appliances) saveAppliance(ctx context.Context, a *store.Appliance, d *applianceDoc) error {
	doc, err := encodeDoc(d)
	if err != nil {
		return err
	}
	a.Doc = doc
	a.Revision++
	if err := s.store.UpdateAppliance(ctx, a); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return conflict("appliance.exists", "an appliance named %q version %q already exists", a.Name, a.Version)
		}
		return fmt.Errorf("update appliance: %w", err)
	}
	return nil
}

func checkNameVersion(name, version string) error {
	if strings.TrimSpace(name) == "" {
		return invalid("appliance.name", "appliance/name: is required")
	}
	if strings.TrimSpace(version) == "" {
		return invalid("appliance.version", "appliance/version: is required")
	}
	if len(name) > 255 || len(version) > 64 {
		return invalid("appliance.name", "appliance/name or version: too long (255 and 64 characters at most)")
	}
	return nil
}

// renderAppliance builds the wire object, with every field hammr reads.
func (s *Appliances) renderAppliance(ctx context.Context, login string, a *store.Appliance, d *applianceDoc) (*uforge.Appliance, error) {
	uri := applianceURI(login, a.ID)
	out := &uforge.Appliance{
		Object:              uforge.Object{Created: new(a.Created.UTC()), DBID: new(a.ID), LastModified: new(a.Modified.UTC())},
		ArchName:            new("x86_64"),
		BaseCloneURI:        new(uri + "/clones"),
		BaseImagesStatusURI: new(uri + "/images/statuses"),
		BaseImagesURI:       new(uri + "/images"),
		BaseOSProfileURI:    new(uri + "/osprofile"),
		Description:         new(d.Description),
		DistributionName:    new(""),
		ImageURIs:           []string{},
		Imported:            new(false),
		InstallProfile:      renderInstallProfile(login, a.ID, d.Install),
		InstallProfileURI:   new(installProfileURI(login, a.ID)),
		Name:                new(a.Name),
		NbSecurityUpdates:   new(0),
		NbUpdates:           new(0),
		OrgURI:              new(orgURI()),
		Revision:            new(a.Revision),
		Shared:              new(false),
		URI:                 new(uri),
		Version:             new(a.Version),
	}
	if d.DistributionID != 0 {
		if dist, ok := distro.ByID(d.DistributionID); ok {
			out.DistributionName = new(dist.Name + " " + dist.Version)
			out.DistributionURI = new(distributionURI(dist.ID))
		}
	}
	if d.ParentID != 0 {
		out.ParentApplianceURI = new(applianceURI(login, d.ParentID))
	}
	if d.OSProfile != nil {
		prof, err := s.renderOSProfile(ctx, login, a.ID, d)
		if err != nil {
			return nil, err
		}
		out.OSProfile = prof
		out.OSProfileURI = prof.URI
		out.InstalledSize = prof.InstalledSize
	}
	return out, nil
}

func renderInstallProfile(login string, aid int64, ip *uforge.InstallProfile) *uforge.InstallProfile {
	c := *ip
	c.DBID = new(aid)
	c.URI = new(installProfileURI(login, aid))
	c.ApplianceURI = new(applianceURI(login, aid))
	if c.Users == nil {
		c.Users = []uforge.OSUser{}
	}
	if c.Groups == nil {
		c.Groups = []uforge.OSGroup{}
	}
	// Clients read partitionTable.disks.disk[0].size (hammr); keep it in step with diskSize.
	if c.PartitionTable == nil && c.DiskSize != nil {
		c.PartitionTable = &uforge.PartitionTable{Disks: []uforge.Disk{{
			Name: new("sda"), PartitionType: new("MSDOS"), Size: new(*c.DiskSize)}}}
	}
	return &c
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return strings.TrimSpace(*p)
}
