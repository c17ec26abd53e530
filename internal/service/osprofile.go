package service

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/kilnhq/kiln/internal/debver"
	"github.com/kilnhq/kiln/internal/distro"
	"github.com/kilnhq/kiln/internal/store"
	"github.com/kilnhq/kiln/internal/uforge"
)

// newOSProfile validates an OS profile body: a standard profile of a known
// distribution (standardProfileUri, or its name with the appliance's distribution).
func (s *Appliances) newOSProfile(ctx context.Context, in *uforge.LinuxProfile, distID int64, where string) (*osProfileDoc, int64, error) {
	var dist distro.Distribution
	var prof distro.Profile
	switch {
	case in.StandardProfileURI != nil:
		ids, ok := parseURI(*in.StandardProfileURI, "distributions/{}/profiles/{}")
		if !ok {
			return nil, 0, invalid("osprofile.uri", "%s/standardProfileUri: %q is not a profile uri (distributions/{id}/profiles/{id})", where, *in.StandardProfileURI)
		}
		if dist, prof, ok = profileOf(ids[0], ids[1]); !ok {
			return nil, 0, invalid("osprofile.unknown", "%s/standardProfileUri: %q is not a known OS profile", where, *in.StandardProfileURI)
		}
	case in.Name != nil && (distID != 0 || in.DistributionURI != nil):
		if in.DistributionURI != nil {
			d, err := distributionByURI(*in.DistributionURI, where+"/distributionUri")
			if err != nil {
				return nil, 0, err
			}
			distID = d.ID
		}
		d, _ := distro.ByID(distID)
		var ok bool
		if prof, ok = d.Profile(*in.Name); !ok {
			return nil, 0, invalid("osprofile.unknown", "%s/name: %q is not an OS profile of %s %s (known: %s)",
				where, *in.Name, d.Name, d.Version, strings.Join(profileNames(d), ", "))
		}
		dist = d
	default:
		return nil, 0, invalid("osprofile.required", "%s: standardProfileUri is required (see GET /distributions/{id}/profiles)", where)
	}
	if distID != 0 && distID != dist.ID {
		return nil, 0, invalid("osprofile.distribution", "%s: the profile belongs to %s %s, not to the appliance's distribution", where, dist.Name, dist.Version)
	}
	doc := &osProfileDoc{Name: prof.Name, StandardProfileID: prof.ID, Created: s.now().UTC()}
	if in.PackageURIs != nil {
		refs, err := s.resolvePackageURIs(ctx, dist.ID, in.PackageURIs, where+"/packageUris")
		if err != nil {
			return nil, 0, err
		}
		doc.Packages = mergeRefs(nil, refs, nil)
	}
	return doc, dist.ID, nil
}

// CreateOSProfile sets the OS profile of an appliance (409 when it has one).
func (s *Appliances) CreateOSProfile(ctx context.Context, p *Principal, uid string, aid int64, in *uforge.LinuxProfile) (*uforge.LinuxProfile, error) {
	u, a, d, err := s.owned(ctx, p, uid, aid)
	if err != nil {
		return nil, err
	}
	if d.OSProfile != nil {
		return nil, conflict("osprofile.exists", "appliance %d already has an OS profile; delete it first", aid)
	}
	if d.OSProfile, d.DistributionID, err = s.newOSProfile(ctx, in, d.DistributionID, "distribProfile"); err != nil {
		return nil, err
	}
	if err := s.saveAppliance(ctx, a, d); err != nil {
		return nil, err
	}
	return s.renderOSProfile(ctx, u.Login, a.ID, d)
}

// GetOSProfile returns the OS profile osid of an appliance.
func (s *Appliances) GetOSProfile(ctx context.Context, p *Principal, uid string, aid, osid int64) (*uforge.LinuxProfile, error) {
	u, a, d, err := s.ownedOSProfile(ctx, p, uid, aid, osid)
	if err != nil {
		return nil, err
	}
	return s.renderOSProfile(ctx, u.Login, a.ID, d)
}

// DeleteOSProfile removes the OS profile of an appliance.
func (s *Appliances) DeleteOSProfile(ctx context.Context, p *Principal, uid string, aid, osid int64) error {
	_, a, d, err := s.ownedOSProfile(ctx, p, uid, aid, osid)
	if err != nil {
		return err
	}
	d.OSProfile = nil
	return s.saveAppliance(ctx, a, d)
}

// OSProfilePackages lists the packages of an OS profile.
func (s *Appliances) OSProfilePackages(ctx context.Context, p *Principal, uid string, aid, osid int64) (*uforge.PkgList, error) {
	_, _, d, err := s.ownedOSProfile(ctx, p, uid, aid, osid)
	if err != nil {
		return nil, err
	}
	return s.renderPackages(ctx, d)
}

// UpdateOSProfilePackages changes the package list: `pkgs` (when present)
// replaces the list, then addedPkgUris are added and deletedPkgUris removed.
func (s *Appliances) UpdateOSProfilePackages(ctx context.Context, p *Principal, uid string, aid, osid int64, in *uforge.PkgList) (*uforge.PkgList, error) {
	_, a, d, err := s.ownedOSProfile(ctx, p, uid, aid, osid)
	if err != nil {
		return nil, err
	}
	distID := d.DistributionID
	list := d.OSProfile.Packages
	if in.Pkgs != nil {
		list = nil
		for i, pk := range in.Pkgs {
			name := deref(pk.Name)
			if name == "" {
				return nil, invalid("package.name", "packages/pkgs/pkg[%d]/name: is required", i)
			}
			ref, err := s.resolvePackageName(ctx, distID, name, deref(pk.Version), fmt.Sprintf("packages/pkgs/pkg[%d]", i))
			if err != nil {
				return nil, err
			}
			list = mergeRefs(list, []packageRef{ref}, nil)
		}
	}
	added, err := s.resolvePackageURIs(ctx, distID, in.AddedPkgURIs, "packages/addedPkgUris")
	if err != nil {
		return nil, err
	}
	deleted, err := s.resolvePackageURIs(ctx, distID, in.DeletedPkgURIs, "packages/deletedPkgUris")
	if err != nil {
		return nil, err
	}
	d.OSProfile.Packages = mergeRefs(list, added, deleted)
	if err := s.saveAppliance(ctx, a, d); err != nil {
		return nil, err
	}
	return s.renderPackages(ctx, d)
}

func (s *Appliances) ownedOSProfile(ctx context.Context, p *Principal, uid string, aid, osid int64) (*store.User, *store.Appliance, *applianceDoc, error) {
	u, a, d, err := s.owned(ctx, p, uid, aid)
	if err != nil {
		return nil, nil, nil, err
	}
	if d.OSProfile == nil || osid != a.ID {
		return nil, nil, nil, notFound("osprofile", "OS profile %d of appliance %d does not exist", osid, aid)
	}
	return u, a, d, nil
}

// mergeRefs returns base plus add (replacing same-name entries) minus del, by name.
func mergeRefs(base, add, del []packageRef) []packageRef {
	out := []packageRef{}
	index := map[string]int{}
	push := func(r packageRef) {
		if i, ok := index[r.Name]; ok {
			out[i] = r
			return
		}
		index[r.Name] = len(out)
		out = append(out, r)
	}
	for _, r := range base {
		push(r)
	}
	for _, r := range add {
		push(r)
	}
	if len(del) == 0 {
		return out
	}
	gone := map[string]bool{}
	for _, r := range del {
		gone[r.Name] = true
	}
	kept := out[:0]
	for _, r := range out {
		if !gone[r.Name] {
			kept = append(kept, r)
		}
	}
	return kept
}

// resolvePackageURIs turns distributions/{d}/pkgs/{p} uris into package refs.
func (s *Appliances) resolvePackageURIs(ctx context.Context, distID int64, uris []string, where string) ([]packageRef, error) {
	var out []packageRef
	for i, u := range uris {
		ids, ok := parseURI(u, "distributions/{}/pkgs/{}")
		if !ok {
			return nil, invalid("package.uri", "%s/uri[%d]: %q is not a package uri (distributions/{id}/pkgs/{id})", where, i, u)
		}
		if distID != 0 && ids[0] != distID {
			return nil, invalid("package.distribution", "%s/uri[%d]: %q belongs to another distribution", where, i, u)
		}
		pkg, err := s.store.GetPackage(ctx, ids[0], ids[1])
		if errors.Is(err, store.ErrNotFound) {
			return nil, invalid("package.unknown", "%s/uri[%d]: package %q does not exist", where, i, u)
		}
		if err != nil {
			return nil, fmt.Errorf("resolve package: %w", err)
		}
		out = append(out, packageRef{Name: pkg.Name, Version: pkg.Version, Arch: pkg.Arch})
	}
	return out, nil
}

// resolvePackageName checks that a package (and version) exists in the mirror index.
func (s *Appliances) resolvePackageName(ctx context.Context, distID int64, name, version, where string) (packageRef, error) {
	if err := s.requireIndex(ctx, distID); err != nil {
		return packageRef{}, err
	}
	pkgs, err := s.store.PackagesByName(ctx, distID, []string{name})
	if err != nil {
		return packageRef{}, fmt.Errorf("resolve package: %w", err)
	}
	if len(pkgs) == 0 {
		return packageRef{}, invalid("package.unknown", "%s: package %q does not exist in this distribution", where, name)
	}
	if version == "" {
		return packageRef{Name: name, Arch: pkgs[0].Arch}, nil
	}
	for _, pk := range pkgs {
		if pk.Version == version {
			return packageRef{Name: name, Version: version, Arch: pk.Arch}, nil
		}
	}
	return packageRef{}, invalid("package.version", "%s: package %q has no version %q in this distribution", where, name, version)
}

func (s *Appliances) renderOSProfile(ctx context.Context, login string, aid int64, d *applianceDoc) (*uforge.LinuxProfile, error) {
	o := d.OSProfile
	dist, _ := distro.ByID(d.DistributionID)
	uri := osProfileURI(login, aid)
	out := &uforge.LinuxProfile{}
	out.Created = new(o.Created)
	out.DBID = new(aid)
	out.Name = new(o.Name)
	out.Active = new(true)
	out.ApplianceURI = new(applianceURI(login, aid))
	out.Arch = new("x86_64")
	out.DistributionURI = new(distributionURI(dist.ID))
	out.StandardProfileURI = new(profileURI(dist.ID, o.StandardProfileID))
	out.URI = new(uri)
	out.Version = new(dist.Version)
	out.PackagesURI = new(uri + "/pkgs")
	out.DistributionPackagesURI = new(distributionURI(dist.ID) + "/pkgs")
	out.PackageURIs = []string{}
	var size int64
	pkgs, err := s.lookupRefs(ctx, dist.ID, o.Packages)
	if err != nil {
		return nil, err
	}
	for _, pk := range pkgs {
		if pk.ID != 0 {
			out.PackageURIs = append(out.PackageURIs, packageURI(dist.ID, pk.ID))
		}
		size += pk.Size
	}
	out.InstalledSize = new(size)
	return out, nil
}

func (s *Appliances) renderPackages(ctx context.Context, d *applianceDoc) (*uforge.PkgList, error) {
	out := &uforge.PkgList{AddedPkgURIs: []string{}, DeletedPkgURIs: []string{}, Pkgs: []uforge.Pkg{}}
	pkgs, err := s.lookupRefs(ctx, d.DistributionID, d.OSProfile.Packages)
	if err != nil {
		return nil, err
	}
	for _, pk := range pkgs {
		w := uforge.Pkg{Name: new(pk.Name), Version: new(pk.Version), Arch: new(pk.Arch), Type: new("deb"),
			FullName: new(pk.Name + "_" + pk.Version + "_" + pk.Arch)}
		if pk.ID != 0 {
			w.DBID = new(pk.ID)
			w.URI = new(packageURI(d.DistributionID, pk.ID))
			w.Size = new(pk.Size)
		}
		out.Pkgs = append(out.Pkgs, w)
	}
	return out, nil
}

// lookupRefs finds the index entry of each ref (the newest version when the ref
// has none). A ref the index no longer has is still listed, without id.
func (s *Appliances) lookupRefs(ctx context.Context, distID int64, refs []packageRef) ([]store.Package, error) {
	if len(refs) == 0 {
		return nil, nil
	}
	names := make([]string, len(refs))
	for i, r := range refs {
		names[i] = r.Name
	}
	found, err := s.store.PackagesByName(ctx, distID, names)
	if err != nil {
		return nil, fmt.Errorf("look up packages: %w", err)
	}
	byName := map[string][]store.Package{}
	for _, pk := range found {
		byName[pk.Name] = append(byName[pk.Name], pk)
	}
	out := make([]store.Package, 0, len(refs))
	for _, r := range refs {
		pick := store.Package{Name: r.Name, Version: r.Version, Arch: r.Arch}
		for _, pk := range byName[r.Name] {
			if r.Version == "" || pk.Version == r.Version {
				if pick.ID == 0 || debver.Compare(pk.Version, pick.Version) > 0 {
					pick = pk
				}
			}
		}
		out = append(out, pick)
	}
	return out, nil
}
