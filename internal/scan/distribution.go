package scan

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/kilnhq/kiln/internal/debian"
	"github.com/kilnhq/kiln/internal/record"
)

// ErrUnsupported is wrapped by the errors about a system Kiln cannot rebuild (not
// Debian, or a Debian release Kiln does not build). The message says why.
var ErrUnsupported = errors.New("unsupported system")

// rpmFamily are os-release IDs (or ID_LIKE words) of rpm-based distributions.
func rpmFamily() []string {
	return []string{"fedora", "rhel", "centos", "rocky", "almalinux", "ol", "amzn", "suse", "opensuse", "sles", "mageia"}
}

// DetectDistribution reads the distribution of the system at root. When the
// system is one Kiln cannot rebuild, it returns what it found together with an
// error wrapping ErrUnsupported that says why.
func DetectDistribution(ctx context.Context, root string) (record.ScanDistribution, error) {
	t, err := newTree(root)
	if err != nil {
		return record.ScanDistribution{}, err
	}
	return detectDistribution(ctx, t)
}

func detectDistribution(ctx context.Context, t *tree) (record.ScanDistribution, error) {
	d, err := readOSRelease(t)
	if err != nil {
		return d, err
	}
	if err := supported(&d, t); err != nil {
		return d, err
	}
	d.Arch, err = dpkgArch(ctx, t)
	if err != nil {
		return d, err
	}
	return d, nil
}

// readOSRelease reads /etc/os-release, falling back to /usr/lib/os-release as
// os-release(5) says to.
func readOSRelease(t *tree) (record.ScanDistribution, error) {
	data, err := t.readFile("/etc/os-release")
	if errors.Is(err, fs.ErrNotExist) {
		data, err = t.readFile("/usr/lib/os-release")
	}
	if errors.Is(err, fs.ErrNotExist) {
		return record.ScanDistribution{}, fmt.Errorf("%w: no /etc/os-release or /usr/lib/os-release: cannot tell which distribution this is (Kiln scans Debian %s)", ErrUnsupported, debian.SupportedList())
	}
	if err != nil {
		return record.ScanDistribution{}, fmt.Errorf("read os-release: %w", err)
	}
	v := parseShellVars(data, nil)
	d := record.ScanDistribution{
		ID:         strings.ToLower(v["ID"]),
		IDLike:     strings.Fields(strings.ToLower(v["ID_LIKE"])),
		VersionID:  v["VERSION_ID"],
		Codename:   v["VERSION_CODENAME"],
		PrettyName: v["PRETTY_NAME"],
	}
	if len(d.IDLike) == 0 {
		d.IDLike = nil // absent, not empty, in the report
	}
	if d.ID == "" {
		d.ID = "linux" // os-release(5)'s default
	}
	return d, nil
}

// supported decides whether Kiln can rebuild d, and fills in the release number of
// a Debian testing system (no VERSION_ID, only a codename).
func supported(d *record.ScanDistribution, t *tree) error {
	name := strings.TrimSpace(d.ID + " " + d.VersionID)
	switch {
	case d.ID == "debian":
		if r, ok := debian.ByCodename(d.Codename); ok && d.VersionID == "" && r.Status == debian.Supported {
			d.VersionID = r.Number
		}
		if r, ok := debian.ByNumber(d.VersionID); ok && r.Status == debian.Supported {
			return nil
		}
		what := "debian " + d.VersionID
		if d.VersionID == "" {
			what = "debian " + cmp.Or(d.Codename, "without a release number (unstable?)")
		} else if d.Codename != "" {
			what += " (" + d.Codename + ")"
		}
		return fmt.Errorf("%w: %s is not supported: Kiln builds Debian %s", ErrUnsupported, what, debian.SupportedList())
	case isRPMFamily(d) || (!t.exists(dpkgStatusPath) && t.exists("/var/lib/rpm")):
		return fmt.Errorf("%w: rpm-based systems (%s) are not supported yet: Kiln scans dpkg systems", ErrUnsupported, name)
	case slices.Contains(d.IDLike, "debian") || slices.Contains(d.IDLike, "ubuntu"):
		return fmt.Errorf("%w: %s is Debian-based but not Debian: Kiln builds Debian %s only, from Debian mirrors", ErrUnsupported, name, debian.SupportedList())
	default:
		return fmt.Errorf("%w: %s is not supported: Kiln scans Debian %s (dpkg systems)", ErrUnsupported, name, debian.SupportedList())
	}
}

func isRPMFamily(d *record.ScanDistribution) bool {
	for _, id := range append([]string{d.ID}, d.IDLike...) {
		for _, r := range rpmFamily() {
			if id == r || strings.HasPrefix(id, r+"-") {
				return true
			}
		}
	}
	return false
}

// dpkgArch is the native dpkg architecture: base-files' Architecture in the
// status file (base-files is essential and never foreign), else the first line of
// /var/lib/dpkg/arch, which lists the native architecture first.
func dpkgArch(ctx context.Context, t *tree) (string, error) {
	arch := ""
	err := readInstalled(ctx, t, func(p installedPackage) error {
		if p.Name == "base-files" && arch == "" {
			arch = p.Arch
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("dpkg architecture: %w", err)
	}
	if arch != "" && arch != "all" {
		return arch, nil
	}
	data, err := t.readFile(dpkgArchPath)
	if err == nil {
		if f := strings.Fields(string(data)); len(f) > 0 {
			return f[0], nil
		}
	}
	return "", fmt.Errorf("dpkg architecture: base-files is not installed and %s is unreadable or empty", dpkgArchPath)
}
