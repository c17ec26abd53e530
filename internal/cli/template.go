package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/kilnhq/kiln/internal/hammr"
	"github.com/kilnhq/kiln/internal/uforge"
)

// fiqlQuote quotes a value for a FIQL query.
func fiqlQuote(v string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`, `*`, `\*`).Replace(v) + "'"
}

// distributions returns the server's distributions with their profiles.
func (e *Env) distributions(ctx context.Context) ([]uforge.Distribution, error) {
	ds, err := e.Client.UserDistributions(ctx, e.User)
	if err != nil {
		return nil, err
	}
	for i := range ds.Distributions {
		d := &ds.Distributions[i]
		if len(d.Profiles) == 0 && d.DBID != nil {
			ps, err := e.Client.DistributionProfiles(ctx, *d.DBID)
			if err != nil {
				return nil, err
			}
			d.Profiles = ps.DistribProfiles
		}
	}
	return ds.Distributions, nil
}

// readTemplate reads and parses a template file, printing its warnings.
func (e *Env) readTemplate(ctx context.Context, file string) (*hammr.Template, error) {
	if _, err := hammr.FormatOf(file); err != nil {
		return nil, err
	}
	data, err := hammr.Read(ctx, file)
	if err != nil {
		return nil, err
	}
	tpl, warns, err := hammr.ParseTemplate(file, data)
	if err != nil {
		return nil, err
	}
	for _, w := range warns {
		e.Warn("%s", w)
	}
	return tpl, nil
}

// CreatedTemplate is `template create --output json`.
type CreatedTemplate struct {
	ID       int64    `json:"id"`
	URI      string   `json:"uri"`
	Name     string   `json:"name"`
	Version  string   `json:"version"`
	Warnings []string `json:"warnings"`
}

// TemplateCreate is `template create --file F`: the hammr template becomes an
// appliance (POST appliances with distribution and OS profile), its packages
// (PUT …/osprofile/{id}/pkgs) and install profile (PUT …/installProfile).
// What Kiln cannot honour is named on stderr. If a step fails, the appliance
// is deleted again: nothing half-made stays.
func TemplateCreate(ctx context.Context, e *Env, file string) error {
	tpl, err := e.readTemplate(ctx, file)
	if err != nil {
		return err
	}
	if err := tpl.CheckStack(); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	dists, err := e.distributions(ctx)
	if err != nil {
		return err
	}
	plan, err := tpl.Plan(dists)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	for _, w := range plan.Warnings {
		e.Warn("%s", w)
	}
	a, err := e.Client.CreateAppliance(ctx, e.User, plan.Appliance)
	if err != nil {
		return fmt.Errorf("create the template: %w", err)
	}
	aid := uforge.Int64Value(a.DBID)
	undo := func(cause error) error {
		if derr := e.Client.DeleteAppliance(context.WithoutCancel(ctx), e.User, aid, true); derr != nil {
			return fmt.Errorf("%w (and template %d could not be deleted again: %v)", cause, aid, derr)
		}
		return fmt.Errorf("%w; the template was not created", cause)
	}
	if plan.Packages != nil {
		osid := aid
		if a.OSProfile != nil && a.OSProfile.DBID != nil {
			osid = *a.OSProfile.DBID
		}
		if _, err := e.Client.SetOSProfilePackages(ctx, e.User, aid, osid, plan.Packages); err != nil {
			return undo(fmt.Errorf("stack.os.pkgs: %w", err))
		}
	}
	if plan.Install != nil {
		if _, err := e.Client.SetInstallProfile(ctx, e.User, aid, plan.Install); err != nil {
			return undo(fmt.Errorf("stack.installation: %w", err))
		}
	}
	res := CreatedTemplate{ID: aid, URI: uforge.StrValue(a.URI), Name: uforge.StrValue(a.Name), Version: uforge.StrValue(a.Version),
		Warnings: append([]string{}, plan.Warnings...)}
	if e.JSON {
		return e.PrintJSON(res)
	}
	e.Info("OK: template '%s' version '%s' created\nTemplate URI: %s\nTemplate Id : %d", res.Name, res.Version, res.URI, res.ID)
	return nil
}

// TemplateRow is one template in `template list --output json`.
type TemplateRow struct {
	ID           int64     `json:"id"`
	Name         string    `json:"name"`
	Version      string    `json:"version"`
	OS           string    `json:"os"`
	Created      time.Time `json:"created,omitzero"`
	LastModified time.Time `json:"lastModified,omitzero"`
	Images       int       `json:"images"`
	Updates      int       `json:"updates"`
	Imported     bool      `json:"imported"`
	Shared       bool      `json:"shared"`
	URI          string    `json:"uri"`
}

func templateRow(a *uforge.Appliance, images int) TemplateRow {
	r := TemplateRow{ID: uforge.Int64Value(a.DBID), Name: uforge.StrValue(a.Name), Version: uforge.StrValue(a.Version),
		OS:     strings.TrimSpace(uforge.StrValue(a.DistributionName) + " " + uforge.StrValue(a.ArchName)),
		Images: images, Updates: uforge.IntValue(a.NbUpdates), Imported: uforge.BoolValue(a.Imported),
		Shared: uforge.BoolValue(a.Shared), URI: uforge.StrValue(a.URI)}
	if a.Created != nil {
		r.Created = *a.Created
	}
	if a.LastModified != nil {
		r.LastModified = *a.LastModified
	}
	return r
}

// TemplateList is `template list` (contract §8.8).
func TemplateList(ctx context.Context, e *Env) error {
	apps, err := e.Client.Appliances(ctx, e.User, "")
	if err != nil {
		return err
	}
	imgs, err := e.Client.UserImages(ctx, e.User)
	if err != nil {
		return err
	}
	count := map[string]int{}
	for _, img := range imgs.Images {
		count[uforge.StrValue(img.ParentURI)]++
	}
	rows := []TemplateRow{}
	for i := range apps.Appliances {
		a := &apps.Appliances[i]
		rows = append(rows, templateRow(a, count[uforge.StrValue(a.URI)]))
	}
	if e.JSON {
		return e.PrintJSON(rows)
	}
	var table [][]string
	for _, r := range rows {
		table = append(table, []string{strconv.FormatInt(r.ID, 10), r.Name, r.Version, r.OS, fmtTime(&r.Created), fmtTime(&r.LastModified),
			strconv.Itoa(r.Images), strconv.Itoa(r.Updates), mark(r.Imported), mark(r.Shared)})
	}
	e.Table([]string{"Id", "Name", "Version", "OS", "Created", "Last modified", "# Imgs", "Updates", "Imp", "Shared"}, table, "No template")
	if len(rows) > 0 {
		e.Info("Found %d templates", len(rows))
	}
	return nil
}

// TemplateDetails is `template info --output json`.
type TemplateDetails struct {
	TemplateRow
	Description string                 `json:"description,omitempty"`
	Profile     string                 `json:"profile,omitempty"`
	Packages    []PkgRow               `json:"packages"`
	Install     *uforge.InstallProfile `json:"-"`
	DiskSize    int64                  `json:"diskSizeMB"`
	SwapSize    int64                  `json:"swapSizeMB"`
	Timezone    string                 `json:"timezone,omitempty"`
	Keyboard    string                 `json:"keyboard,omitempty"`
	Users       []string               `json:"users"`
	Partitions  []string               `json:"partitions,omitempty"`
	ImageIDs    []string               `json:"images"`
}

// TemplateInfo is `template info --id N`.
func TemplateInfo(ctx context.Context, e *Env, id int64) error {
	a, err := e.Client.Appliance(ctx, e.User, id)
	if err != nil {
		return err
	}
	d := TemplateDetails{TemplateRow: templateRow(a, len(a.ImageURIs)), Description: uforge.StrValue(a.Description),
		Packages: []PkgRow{}, Users: []string{}, ImageIDs: []string{}}
	for _, u := range a.ImageURIs {
		d.ImageIDs = append(d.ImageIDs, lastSegment(u))
	}
	if a.OSProfile != nil {
		d.Profile = uforge.StrValue(a.OSProfile.Name)
		pkgs, err := e.Client.OSProfilePackages(ctx, e.User, id, uforge.Int64Value(a.OSProfile.DBID))
		if err != nil {
			return err
		}
		for _, p := range pkgs.Pkgs {
			d.Packages = append(d.Packages, PkgRow{Name: uforge.StrValue(p.Name), Version: uforge.StrValue(p.Version),
				Arch: uforge.StrValue(p.Arch), Size: uforge.Int64Value(p.Size), FullName: uforge.StrValue(p.FullName)})
		}
	}
	if ip := a.InstallProfile; ip != nil {
		d.DiskSize, d.SwapSize = uforge.Int64Value(ip.DiskSize), uforge.Int64Value(ip.SwapSize)
		d.Timezone, d.Keyboard = uforge.StrValue(ip.Timezone), uforge.StrValue(ip.Keyboard)
		for _, u := range ip.Users {
			d.Users = append(d.Users, uforge.StrValue(u.Name))
		}
		if !uforge.BoolValue(ip.PartitionAuto) && ip.PartitionTable != nil && len(ip.PartitionTable.Disks) > 0 {
			for _, p := range ip.PartitionTable.Disks[0].Partitions {
				s := uforge.StrValue(p.Fstype) + " " + uforge.StrValue(p.Mpoint)
				if uforge.BoolValue(p.Growable) {
					s += " (grows)"
				} else {
					s += fmt.Sprintf(" %d MB", uforge.Int64Value(p.Size))
				}
				d.Partitions = append(d.Partitions, strings.TrimSpace(s))
			}
		}
	}
	if e.JSON {
		return e.PrintJSON(d)
	}
	rows := [][]string{
		{"Id", strconv.FormatInt(d.ID, 10)}, {"Name", d.Name}, {"Version", d.Version}, {"Description", d.Description},
		{"OS", d.OS}, {"OS profile", d.Profile}, {"Created", fmtTime(a.Created)}, {"Last modified", fmtTime(a.LastModified)},
		{"Disk size", fmt.Sprintf("%d MB", d.DiskSize)}, {"Swap size", fmt.Sprintf("%d MB", d.SwapSize)},
		{"Time zone", d.Timezone}, {"Keyboard", d.Keyboard}, {"Users", strings.Join(d.Users, ", ")},
		{"Images", strings.Join(d.ImageIDs, ", ")},
	}
	if len(d.Partitions) > 0 {
		rows = append(rows, []string{"Partitions", strings.Join(d.Partitions, "; ")})
	}
	e.Table([]string{"Info", "Value"}, rows, "")
	if len(d.Packages) > 0 {
		fmt.Fprintln(e.Out)
		var table [][]string
		for _, p := range d.Packages {
			table = append(table, []string{p.Name, p.Version, p.Arch})
		}
		e.Table([]string{"Package", "Version", "Arch"}, table, "")
	}
	return nil
}

// TemplateDelete is `template delete --id N`: asks first unless noPrompt.
func TemplateDelete(ctx context.Context, e *Env, id int64, noPrompt bool) error {
	a, err := e.Client.Appliance(ctx, e.User, id)
	if err != nil {
		return err
	}
	q := fmt.Sprintf("Do you really want to delete template with id %d (%s %s", id, uforge.StrValue(a.Name), uforge.StrValue(a.Version))
	if n := len(a.ImageURIs); n > 0 {
		q += fmt.Sprintf(", and its %d images", n)
	}
	if err := e.confirmOrSkip(noPrompt, q+")?"); err != nil {
		return err
	}
	if err := e.Client.DeleteAppliance(ctx, e.User, id, false); err != nil {
		return err
	}
	if e.JSON {
		return e.PrintJSON(map[string]any{"deleted": id})
	}
	e.Info("Template %d deleted", id)
	return nil
}

// TemplateClone is `template clone --id N --name X --version Y`.
func TemplateClone(ctx context.Context, e *Env, id int64, name, version string) error {
	if strings.TrimSpace(name) == "" || strings.TrimSpace(version) == "" {
		return errors.New("--name and --version are required")
	}
	a, err := e.Client.CloneAppliance(ctx, e.User, id, name, version)
	if err != nil {
		return err
	}
	if e.JSON {
		return e.PrintJSON(templateRow(a, 0))
	}
	e.Info("OK: template %d cloned as '%s' version '%s'\nTemplate URI: %s\nTemplate Id : %d", id, name, version,
		uforge.StrValue(a.URI), uforge.Int64Value(a.DBID))
	return nil
}

// TemplateExport is `template export --id N --file F`: the appliance written
// back as a hammr template (JSON or YAML by F's extension).
func TemplateExport(ctx context.Context, e *Env, id int64, file string, force bool) error {
	f, err := hammr.FormatOf(file)
	if err != nil {
		return err
	}
	if !force {
		if _, err := os.Stat(file); err == nil {
			return fmt.Errorf("%s exists (--force overwrites it)", file)
		}
	}
	a, err := e.Client.Appliance(ctx, e.User, id)
	if err != nil {
		return err
	}
	var dist *uforge.Distribution
	var profile string
	var pkgs *uforge.PkgList
	if a.OSProfile != nil {
		profile = uforge.StrValue(a.OSProfile.Name)
		if pkgs, err = e.Client.OSProfilePackages(ctx, e.User, id, uforge.Int64Value(a.OSProfile.DBID)); err != nil {
			return err
		}
	}
	if a.DistributionURI != nil {
		dists, err := e.distributions(ctx)
		if err != nil {
			return err
		}
		for i := range dists {
			if uforge.StrValue(dists[i].URI) == *a.DistributionURI {
				dist = &dists[i]
			}
		}
	}
	ip, err := e.Client.InstallProfile(ctx, e.User, id)
	if err != nil {
		return err
	}
	tpl := hammr.Export(a, dist, profile, pkgs, ip)
	data, err := hammr.Marshal(tpl, f)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(file, data, 0o600); err != nil {
		return err
	}
	if e.JSON {
		return e.PrintJSON(map[string]any{"id": id, "file": file})
	}
	e.Info("OK: template %d exported to %s", id, file)
	return nil
}

// writeFileAtomic writes data to a temporary file beside name, then renames it.
func writeFileAtomic(name string, data []byte, perm os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), name)
}
