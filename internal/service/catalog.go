package service

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/kilnhq/kiln/internal/auth"
	"github.com/kilnhq/kiln/internal/distro"
	"github.com/kilnhq/kiln/internal/fiql"
	"github.com/kilnhq/kiln/internal/store"
	"github.com/kilnhq/kiln/internal/target"
	"github.com/kilnhq/kiln/internal/uforge"
)

// Catalog holds the use cases of what Kiln builds from and to: distributions,
// their standard profiles and package indexes, target formats and the
// organization.
type Catalog struct{ base }

// NewCatalog returns the catalog use cases on st.
func NewCatalog(st store.Store, cfg Config) *Catalog { return &Catalog{newBase(st, cfg)} }

// ListDistributions returns the distributions Kiln builds, filtered by q.
func (s *Catalog) ListDistributions(ctx context.Context, q Query) (*uforge.Distributions, error) {
	var all []uforge.Distribution
	for _, d := range distro.All() {
		w, err := s.renderDistribution(ctx, d)
		if err != nil {
			return nil, err
		}
		all = append(all, *w)
	}
	page, total, err := search(all, q)
	if err != nil {
		return nil, err
	}
	return &uforge.Distributions{Objects: uforge.Objects{Total: new(int64(total))}, Distributions: page}, nil
}

// GetDistribution returns one distribution.
func (s *Catalog) GetDistribution(ctx context.Context, id int64) (*uforge.Distribution, error) {
	d, ok := distro.ByID(id)
	if !ok {
		return nil, notFound("distribution", "distribution %d does not exist", id)
	}
	return s.renderDistribution(ctx, d)
}

func (s *Catalog) renderDistribution(ctx context.Context, d distro.Distribution) (*uforge.Distribution, error) {
	uri := distributionURI(d.ID)
	w := &uforge.Distribution{
		Object:          uforge.Object{DBID: new(d.ID), Created: new(d.ReleaseDate.UTC())},
		Active:          new(true),
		Arch:            new(d.Arch),
		BasePkgsURI:     new(uri + "/pkgs"),
		BaseProfilesURI: new(uri + "/profiles"),
		Description:     new(d.Description),
		Family:          new(d.Family),
		Name:            new(d.Name),
		PkgType:         new(d.PkgType),
		Profiles:        renderProfiles(d),
		ProfileURIs:     []string{},
		ReleaseDate:     new(d.ReleaseDate.UTC()),
		URI:             new(uri),
		Version:         new(d.Version),
		Visible:         new(true),
	}
	for _, p := range d.Profiles {
		w.ProfileURIs = append(w.ProfileURIs, profileURI(d.ID, p.ID))
	}
	n, refreshed, err := s.store.PackageIndex(ctx, d.ID)
	if err != nil {
		return nil, fmt.Errorf("package index: %w", err)
	}
	if n > 0 {
		w.LastPkgBuildDate = new(refreshed.UTC())
	}
	return w, nil
}

func renderProfiles(d distro.Distribution) []uforge.LinuxProfile {
	out := []uforge.LinuxProfile{}
	for _, p := range d.Profiles {
		var w uforge.LinuxProfile
		w.DBID = new(p.ID)
		w.Name = new(p.Name)
		w.Description = new(p.Description)
		w.Active = new(true)
		w.Arch = new(d.Arch)
		w.DistributionURI = new(distributionURI(d.ID))
		w.URI = new(profileURI(d.ID, p.ID))
		w.Version = new(d.Version)
		w.DistributionPackagesURI = new(distributionURI(d.ID) + "/pkgs")
		w.PackageURIs = []string{}
		out = append(out, w)
	}
	return out
}

// DistributionProfiles returns the standard OS profiles of a distribution.
func (s *Catalog) DistributionProfiles(ctx context.Context, id int64, q Query) (*uforge.DistribProfiles, error) {
	d, ok := distro.ByID(id)
	if !ok {
		return nil, notFound("distribution", "distribution %d does not exist", id)
	}
	page, total, err := search(renderProfiles(d), q)
	if err != nil {
		return nil, err
	}
	return &uforge.DistribProfiles{Objects: uforge.Objects{Total: new(int64(total))}, DistribProfiles: page}, nil
}

// DistributionProfile returns one standard OS profile.
func (s *Catalog) DistributionProfile(ctx context.Context, did, pid int64) (*uforge.LinuxProfile, error) {
	d, p, ok := profileOf(did, pid)
	if !ok {
		return nil, notFound("profile", "profile %d of distribution %d does not exist", pid, did)
	}
	for _, w := range renderProfiles(d) {
		if *w.DBID == p.ID {
			return &w, nil
		}
	}
	return nil, notFound("profile", "profile %d of distribution %d does not exist", pid, did)
}

// DistributionPackages searches the mirror index: the query may only use `==`
// on name, version and arch (joined with `;`), with `*` wildcards.
func (s *Catalog) DistributionPackages(ctx context.Context, id int64, q Query) (*uforge.PkgList, error) {
	if _, ok := distro.ByID(id); !ok {
		return nil, notFound("distribution", "distribution %d does not exist", id)
	}
	if err := s.requireIndex(ctx, id); err != nil {
		return nil, err
	}
	f := store.PackageFilter{Offset: q.Offset, Limit: q.Count}
	if f.Limit == 0 || f.Limit > 1000 {
		f.Limit = 1000 // one page at most; a mirror has ~65 000 packages
	}
	if strings.TrimSpace(q.FIQL) != "" {
		expr, err := fiql.Parse(q.FIQL)
		if err != nil {
			return nil, invalid("query.syntax", "%v", err)
		}
		eq, ok := expr.Equalities()
		if !ok {
			return nil, invalid("query.packages", "query: packages can only be searched with name==, version== joined by ';'")
		}
		for k, v := range eq {
			switch strings.ToLower(k) {
			case "name":
				f.Name = v
			case "version":
				f.Version = v
			default:
				return nil, invalid("query.selector", "query: packages cannot be searched by %q (name, version)", k)
			}
		}
	}
	pkgs, _, err := s.store.SearchPackages(ctx, id, f)
	if err != nil {
		return nil, fmt.Errorf("search packages: %w", err)
	}
	out := &uforge.PkgList{AddedPkgURIs: []string{}, DeletedPkgURIs: []string{}, Pkgs: []uforge.Pkg{}}
	for _, p := range pkgs {
		out.Pkgs = append(out.Pkgs, renderPkg(id, p))
	}
	return out, nil
}

// DistributionPackage returns one package of the index.
func (s *Catalog) DistributionPackage(ctx context.Context, did, pid int64) (*uforge.Pkg, error) {
	p, err := s.store.GetPackage(ctx, did, pid)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("package", "package %d of distribution %d does not exist", pid, did)
	}
	if err != nil {
		return nil, fmt.Errorf("get package: %w", err)
	}
	w := renderPkg(did, *p)
	return &w, nil
}

func renderPkg(did int64, p store.Package) uforge.Pkg {
	release := ""
	if i := strings.LastIndexByte(p.Version, '-'); i >= 0 {
		release = p.Version[i+1:]
	}
	return uforge.Pkg{
		UploadObject: uforge.UploadObject{Object: uforge.Object{DBID: new(p.ID)}, Size: new(p.Size)},
		Arch:         new(p.Arch),
		FullName:     new(p.Name + "_" + p.Version + "_" + p.Arch + ".deb"),
		Name:         new(p.Name),
		Release:      new(release),
		Type:         new("deb"),
		URI:          new(packageURI(did, p.ID)),
		Version:      new(p.Version),
	}
}

// TargetFormats lists the target formats for p (access says whether p may generate).
func (s *Catalog) TargetFormats(ctx context.Context, p *Principal, q Query) (*uforge.TargetFormats, error) {
	var all []uforge.TargetFormat
	for _, f := range target.All() {
		all = append(all, renderTargetFormat(f, p.Has(auth.ImageGenerate)))
	}
	page, total, err := search(all, q)
	if err != nil {
		return nil, err
	}
	return &uforge.TargetFormats{Objects: uforge.Objects{Total: new(int64(total))}, TargetFormats: page}, nil
}

// TargetFormat returns one target format.
func (s *Catalog) TargetFormat(ctx context.Context, p *Principal, id int64) (*uforge.TargetFormat, error) {
	f, ok := target.ByID(id)
	if !ok {
		return nil, notFound("targetformat", "target format %d does not exist", id)
	}
	w := renderTargetFormat(f, p.Has(auth.ImageGenerate))
	return &w, nil
}

func renderTargetFormat(f target.Format, access bool) uforge.TargetFormat {
	w := uforge.TargetFormat{
		Object:   uforge.Object{DBID: new(f.ID)},
		Name:     new(f.Name),
		Format:   &uforge.ImageFormat{Name: new(f.Format), Access: new(access), Active: new(f.Active)},
		Category: &uforge.Category{Name: new(string(f.Category)), Type: new("IMAGEFORMAT")},
		Type:     new(string(f.Type)),
		Access:   new(access && f.Active),
		Active:   new(f.Active),
		URI:      new(targetFormatURI(f.ID)),
	}
	if f.CredAccountType != "" {
		w.CredAccountType = new(f.CredAccountType)
	}
	return w
}

// Org returns the default organization.
func (s *Catalog) Org(ctx context.Context, p *Principal) *uforge.Org {
	return &uforge.Org{
		Object:           uforge.Object{DBID: new(int64(DefaultOrgID))},
		ActivateNewUsers: new(true),
		Admin:            new(p.IsAdmin()),
		DefaultOrg:       new(true),
		Name:             new("default"),
		DistributionsURI: new(orgURI() + "/distributions"),
		TargetFormatsURI: new(orgURI() + "/targetformats"),
		URI:              new(orgURI()),
	}
}

// requireIndex fails clearly when a distribution's package index is not loaded yet.
func (s *base) requireIndex(ctx context.Context, distID int64) error {
	n, _, err := s.store.PackageIndex(ctx, distID)
	if err != nil {
		return fmt.Errorf("package index: %w", err)
	}
	if n == 0 {
		return &Error{Kind: KindUnavailable, ID: "packages.notLoaded",
			Msg: "the package index of this distribution is not loaded yet (it is read from the mirror at start); retry shortly"}
	}
	return nil
}
