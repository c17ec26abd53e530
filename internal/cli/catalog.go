package cli

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kilnhq/kiln/internal/uforge"
)

// FormatRow is one target format in `format list --output json`.
type FormatRow struct {
	ID              int64  `json:"id"`
	Name            string `json:"name"`
	Format          string `json:"format"`
	Category        string `json:"category"`
	Type            string `json:"type"`
	CredAccountType string `json:"credAccountType,omitempty"`
	Access          bool   `json:"access"`
	Active          bool   `json:"active"`
}

// FormatList is `format list`: the target formats (hammr prints name,
// format, category, account type and access).
func FormatList(ctx context.Context, e *Env) error {
	tfs, err := e.Client.TargetFormats(ctx, e.User)
	if err != nil {
		return err
	}
	rows := []FormatRow{}
	for _, tf := range tfs.TargetFormats {
		r := FormatRow{ID: uforge.Int64Value(tf.DBID), Name: uforge.StrValue(tf.Name), Type: uforge.StrValue(tf.Type),
			CredAccountType: uforge.StrValue(tf.CredAccountType), Access: uforge.BoolValue(tf.Access), Active: uforge.BoolValue(tf.Active)}
		if tf.Format != nil {
			r.Format = uforge.StrValue(tf.Format.Name)
		}
		if tf.Category != nil {
			r.Category = uforge.StrValue(tf.Category.Name)
		}
		rows = append(rows, r)
	}
	if e.JSON {
		return e.PrintJSON(rows)
	}
	var table [][]string
	for _, r := range rows {
		table = append(table, []string{r.Name, r.Format, r.Category, r.CredAccountType, mark(r.Access)})
	}
	e.Table([]string{"Builder type", "Format", "Category", "Account type", "Access"}, table, "No generation formats available")
	return nil
}

// OSRow is one distribution in `os list --output json`.
type OSRow struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	Version     string    `json:"version"`
	Arch        string    `json:"arch"`
	ReleaseDate time.Time `json:"releaseDate,omitzero"`
	Profiles    []string  `json:"profiles"`
	PackagesAt  time.Time `json:"packagesRead,omitzero"`
}

// OSList is `os list`: the distributions with their OS profiles.
func OSList(ctx context.Context, e *Env) error {
	ds, err := e.Client.UserDistributions(ctx, e.User)
	if err != nil {
		return err
	}
	rows := []OSRow{}
	for _, d := range ds.Distributions {
		r := OSRow{ID: uforge.Int64Value(d.DBID), Name: uforge.StrValue(d.Name), Version: uforge.StrValue(d.Version),
			Arch: uforge.StrValue(d.Arch), Profiles: []string{}}
		if d.ReleaseDate != nil {
			r.ReleaseDate = *d.ReleaseDate
		}
		if d.LastPkgBuildDate != nil {
			r.PackagesAt = *d.LastPkgBuildDate
		}
		profiles := d.Profiles
		if len(profiles) == 0 { // as hammr: ask for them
			ps, err := e.Client.DistributionProfiles(ctx, r.ID)
			if err != nil {
				return err
			}
			profiles = ps.DistribProfiles
		}
		for _, p := range profiles {
			r.Profiles = append(r.Profiles, uforge.StrValue(p.Name))
		}
		rows = append(rows, r)
	}
	if e.JSON {
		return e.PrintJSON(rows)
	}
	var table [][]string
	for _, r := range rows {
		rel := ""
		if !r.ReleaseDate.IsZero() {
			rel = r.ReleaseDate.Format("2006-01-02")
		}
		table = append(table, []string{strconv.FormatInt(r.ID, 10), r.Name, r.Version, r.Arch, rel, strings.Join(r.Profiles, ", ")})
	}
	e.Table([]string{"Id", "Distribution", "Version", "Architecture", "Release date", "Profiles"}, table, "No distribution available")
	return nil
}

// PkgRow is one package in `os search --output json`.
type PkgRow struct {
	Name      string    `json:"name"`
	Version   string    `json:"version"`
	Arch      string    `json:"arch"`
	Release   string    `json:"release,omitempty"`
	BuildDate time.Time `json:"buildDate,omitzero"`
	Size      int64     `json:"size"`
	FullName  string    `json:"fullName"`
}

// OSSearch is `os search --id D --pkg PATTERN`: packages of a distribution by
// name (FIQL wildcards: "openssh*").
func OSSearch(ctx context.Context, e *Env, id int64, pattern string) error {
	pattern = strings.TrimSpace(pattern)
	if pattern == "" {
		return fmt.Errorf("--pkg: a package name or pattern is required (e.g. 'openssh*')")
	}
	if strings.ContainsAny(pattern, "';,") {
		return fmt.Errorf("--pkg %q: quotes, ';' and ',' cannot be searched", pattern)
	}
	d, err := e.Client.Distribution(ctx, id)
	if err != nil {
		return err
	}
	list, err := e.Client.SearchPackages(ctx, id, "name=='"+pattern+"'")
	if err != nil {
		return err
	}
	rows := []PkgRow{}
	for _, p := range list.Pkgs {
		r := PkgRow{Name: uforge.StrValue(p.Name), Version: uforge.StrValue(p.Version), Arch: uforge.StrValue(p.Arch),
			Release: uforge.StrValue(p.Release), Size: uforge.Int64Value(p.Size), FullName: uforge.StrValue(p.FullName)}
		if p.PkgBuildDate != nil {
			r.BuildDate = *p.PkgBuildDate
		}
		rows = append(rows, r)
	}
	slices.SortStableFunc(rows, func(a, b PkgRow) int { return strings.Compare(a.Name, b.Name) })
	if e.JSON {
		return e.PrintJSON(rows)
	}
	e.Info("Search package '%s' on %s %s %s", pattern, uforge.StrValue(d.Name), uforge.StrValue(d.Version), uforge.StrValue(d.Arch))
	var table [][]string
	for _, r := range rows {
		date := ""
		if !r.BuildDate.IsZero() {
			date = r.BuildDate.Format("2006-01-02")
		}
		table = append(table, []string{r.Name, r.Version, r.Arch, r.Release, date, fmtSize(r.Size), r.FullName})
	}
	e.Table([]string{"Name", "Version", "Arch", "Release", "Build date", "Size", "Full name"}, table, "No package found")
	if len(rows) > 0 {
		e.Info("Found %d packages", len(rows))
	}
	return nil
}

// UserRow is `user info --output json`.
type UserRow struct {
	ID        int64     `json:"id"`
	Login     string    `json:"login"`
	Email     string    `json:"email,omitempty"`
	FirstName string    `json:"firstName,omitempty"`
	Surname   string    `json:"surname,omitempty"`
	Active    bool      `json:"active"`
	Admin     bool      `json:"admin"`
	Created   time.Time `json:"created,omitzero"`
	Roles     []string  `json:"roles"`
}

// UserInfo is `user info`: the logged-in user.
func UserInfo(ctx context.Context, e *Env) error {
	u, err := e.Client.GetUser(ctx, e.User)
	if err != nil {
		return err
	}
	r := UserRow{ID: uforge.Int64Value(u.DBID), Login: uforge.StrValue(u.LoginName), Email: uforge.StrValue(u.Email),
		FirstName: uforge.StrValue(u.FirstName), Surname: uforge.StrValue(u.Surname), Active: uforge.BoolValue(u.Active),
		Admin: uforge.BoolValue(u.Admin), Roles: []string{}}
	if u.Created != nil {
		r.Created = *u.Created
	}
	for _, role := range u.Roles {
		r.Roles = append(r.Roles, uforge.StrValue(role.Name))
	}
	if e.JSON {
		return e.PrintJSON(r)
	}
	e.Table([]string{"Info", "Value"}, [][]string{
		{"Login", r.Login}, {"Id", strconv.FormatInt(r.ID, 10)}, {"Email", r.Email},
		{"Name", strings.TrimSpace(r.FirstName + " " + r.Surname)}, {"Created", fmtTime(u.Created)},
		{"Active", mark(r.Active)}, {"Administrator", mark(r.Admin)}, {"Roles", strings.Join(r.Roles, ", ")},
	}, "")
	return nil
}
