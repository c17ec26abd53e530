package client

// Calls of the kiln CLI (hammr's commands): the catalog (distributions,
// profiles, packages, target formats), appliances with their OS and install
// profiles. Images and scans are in cli_images.go.

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/kilnhq/kiln/internal/uforge"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// AppliancesPath is the collection of user's appliances (templates).
func AppliancesPath(user string) string { return PathEscape("users", user, "appliances") }

// AppliancePath is one appliance.
func AppliancePath(user string, aid int64) string { return AppliancesPath(user) + "/" + itoa(aid) }

// UserDistributions reads GET /users/{user}/distros: the distributions user
// may build, each with its standard OS profiles.
func (c *Client) UserDistributions(ctx context.Context, user string) (*uforge.Distributions, error) {
	var out uforge.Distributions
	if err := c.Do(ctx, http.MethodGet, PathEscape("users", user, "distros"), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Distribution reads GET /distributions/{id}.
func (c *Client) Distribution(ctx context.Context, id int64) (*uforge.Distribution, error) {
	var out uforge.Distribution
	if err := c.Do(ctx, http.MethodGet, "distributions/"+itoa(id), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DistributionProfiles reads GET /distributions/{id}/profiles.
func (c *Client) DistributionProfiles(ctx context.Context, id int64) (*uforge.DistribProfiles, error) {
	var out uforge.DistribProfiles
	if err := c.Do(ctx, http.MethodGet, "distributions/"+itoa(id)+"/profiles", nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// SearchPackages reads GET /distributions/{id}/pkgs?query=FIQL (empty: no filter).
func (c *Client) SearchPackages(ctx context.Context, id int64, fiql string) (*uforge.PkgList, error) {
	var q url.Values
	if fiql != "" {
		q = url.Values{"query": {fiql}}
	}
	var out uforge.PkgList
	if err := c.Do(ctx, http.MethodGet, "distributions/"+itoa(id)+"/pkgs", q, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// TargetFormats reads GET /users/{user}/targetformats.
func (c *Client) TargetFormats(ctx context.Context, user string) (*uforge.TargetFormats, error) {
	var out uforge.TargetFormats
	if err := c.Do(ctx, http.MethodGet, PathEscape("users", user, "targetformats"), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Appliances lists user's appliances, filtered by a FIQL query ("" for all).
func (c *Client) Appliances(ctx context.Context, user, fiql string) (*uforge.Appliances, error) {
	var q url.Values
	if fiql != "" {
		q = url.Values{"query": {fiql}}
	}
	var out uforge.Appliances
	if err := c.Do(ctx, http.MethodGet, AppliancesPath(user), q, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Appliance reads one appliance (with its OS profile and install profile).
func (c *Client) Appliance(ctx context.Context, user string, aid int64) (*uforge.Appliance, error) {
	var out uforge.Appliance
	if err := c.Do(ctx, http.MethodGet, AppliancePath(user, aid), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// CreateAppliance creates an appliance and returns it as stored.
func (c *Client) CreateAppliance(ctx context.Context, user string, a *uforge.Appliance) (*uforge.Appliance, error) {
	var out uforge.Appliance
	if err := c.Do(ctx, http.MethodPost, AppliancesPath(user), nil, a, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteAppliance deletes an appliance and its images (force also cancels
// running generations).
func (c *Client) DeleteAppliance(ctx context.Context, user string, aid int64, force bool) error {
	var q url.Values
	if force {
		q = url.Values{"force": {"true"}}
	}
	return c.Do(ctx, http.MethodDelete, AppliancePath(user, aid), q, nil, nil)
}

// CloneAppliance copies an appliance under a new name and version.
func (c *Client) CloneAppliance(ctx context.Context, user string, aid int64, name, version string) (*uforge.Appliance, error) {
	in := &uforge.Appliance{Name: uforge.Str(name), Version: uforge.Str(version)}
	var out uforge.Appliance
	if err := c.Do(ctx, http.MethodPost, AppliancePath(user, aid)+"/clones", nil, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// OSProfilePackages lists the packages of an appliance's OS profile (osid is
// the appliance id in Kiln).
func (c *Client) OSProfilePackages(ctx context.Context, user string, aid, osid int64) (*uforge.PkgList, error) {
	var out uforge.PkgList
	if err := c.Do(ctx, http.MethodGet, AppliancePath(user, aid)+"/osprofile/"+itoa(osid)+"/pkgs", nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// SetOSProfilePackages changes the packages of an OS profile (PUT …/pkgs).
func (c *Client) SetOSProfilePackages(ctx context.Context, user string, aid, osid int64, in *uforge.PkgList) (*uforge.PkgList, error) {
	var out uforge.PkgList
	if err := c.Do(ctx, http.MethodPut, AppliancePath(user, aid)+"/osprofile/"+itoa(osid)+"/pkgs", nil, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// InstallProfile reads an appliance's install profile (the deprecated form
// without its id, as hammr does).
func (c *Client) InstallProfile(ctx context.Context, user string, aid int64) (*uforge.InstallProfile, error) {
	var out uforge.InstallProfile
	if err := c.Do(ctx, http.MethodGet, AppliancePath(user, aid)+"/installProfile", nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// SetInstallProfile merges in into an appliance's install profile.
func (c *Client) SetInstallProfile(ctx context.Context, user string, aid int64, in *uforge.InstallProfile) (*uforge.InstallProfile, error) {
	var out uforge.InstallProfile
	if err := c.Do(ctx, http.MethodPut, AppliancePath(user, aid)+"/installProfile", nil, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
