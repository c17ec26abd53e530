package rootfs

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"

	"github.com/kilnhq/kiln/internal/spec"
)

// PipelineVersion is part of every base cache key. Bump it whenever the way a base
// is bootstrapped changes (mmdebstrap options, cleanup, boot packages), so that old
// bases are never reused by a Kiln that would build them differently.
const PipelineVersion = 1

// Source is one apt source: "deb URI Suite Components…".
type Source struct {
	URI        string
	Suite      string
	Components []string
}

// Line renders s as a one-line sources.list entry, the form mmdebstrap takes.
func (s Source) Line() string {
	return "deb " + s.URI + " " + s.Suite + " " + strings.Join(s.Components, " ")
}

// Request says which base tree to prepare.
type Request struct {
	Distribution string // "debian" (default)
	Codename     string // "bookworm"
	Arch         string // "amd64" (default)
	Variant      string // mmdebstrap variant; "important" (default)
	Sources      []Source
	// Packages is the full package set: a plan's Packages.
	Packages []spec.Package
}

var (
	wordRe    = regexp.MustCompile(`^[a-z0-9][a-z0-9._+-]*$`)
	suiteRe   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._/-]*$`)
	pkgNameRe = regexp.MustCompile(`^[a-z0-9][a-z0-9+.-]+$`)
	pkgVerRe  = regexp.MustCompile(`^[A-Za-z0-9.+~:-]+$`)
)

// normalize fills defaults, sorts the packages and checks every field that ends up
// on mmdebstrap's command line, so that nothing there can be read as an option.
func (r Request) normalize() (Request, error) {
	if r.Distribution == "" {
		r.Distribution = "debian"
	}
	if r.Arch == "" {
		r.Arch = "amd64"
	}
	if r.Variant == "" {
		r.Variant = "important"
	}
	var errs []error
	for field, v := range map[string]string{"distribution": r.Distribution, "codename": r.Codename, "arch": r.Arch, "variant": r.Variant} {
		if !wordRe.MatchString(v) {
			errs = append(errs, fmt.Errorf("%s %q is not valid", field, v))
		}
	}
	if len(r.Sources) == 0 {
		errs = append(errs, errors.New("no apt source given"))
	}
	for i, s := range r.Sources {
		u, err := url.Parse(s.URI)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "file") || strings.ContainsAny(s.URI, " \t\n") {
			errs = append(errs, fmt.Errorf("sources[%d]: %q is not an http, https or file URI", i, s.URI))
		}
		if !suiteRe.MatchString(s.Suite) {
			errs = append(errs, fmt.Errorf("sources[%d]: suite %q is not valid", i, s.Suite))
		}
		if len(s.Components) == 0 {
			errs = append(errs, fmt.Errorf("sources[%d]: no component", i))
		}
		for _, c := range s.Components {
			if !suiteRe.MatchString(c) {
				errs = append(errs, fmt.Errorf("sources[%d]: component %q is not valid", i, c))
			}
		}
	}
	seen := map[string]bool{}
	pk := make([]spec.Package, 0, len(r.Packages))
	for _, p := range r.Packages {
		if !pkgNameRe.MatchString(p.Name) {
			errs = append(errs, fmt.Errorf("package %q is not a valid Debian package name", p.Name))
			continue
		}
		if p.Version != "" && !pkgVerRe.MatchString(p.Version) {
			errs = append(errs, fmt.Errorf("package %s: %q is not a valid Debian version", p.Name, p.Version))
		}
		if seen[p.Name] {
			errs = append(errs, fmt.Errorf("package %q is listed twice", p.Name))
			continue
		}
		seen[p.Name] = true
		pk = append(pk, p)
	}
	sort.Slice(pk, func(i, j int) bool { return pk[i].Name < pk[j].Name })
	r.Packages = pk
	if err := errors.Join(errs...); err != nil {
		return r, fmt.Errorf("rootfs: invalid request: %w", err)
	}
	return r, nil
}

// Key is the content key of the base tree req produces: sha256 over everything that
// changes what mmdebstrap installs. Packages are sorted; sources keep their order
// (apt's preference between equal versions follows it).
func Key(req Request) (string, error) {
	n, err := req.normalize()
	if err != nil {
		return "", err
	}
	return n.key(), nil
}

func (r Request) key() string {
	// Packages are keyed in a form of their own, so that a change of how
	// spec.Package is written elsewhere never invalidates every cached base.
	type keyPackage struct {
		Name    string `json:"name"`
		Version string `json:"version,omitempty"`
	}
	pkgs := make([]keyPackage, len(r.Packages))
	for i, p := range r.Packages {
		pkgs[i] = keyPackage{p.Name, p.Version}
	}
	b, _ := json.Marshal(struct {
		Pipeline     int
		Distribution string
		Codename     string
		Arch         string
		Variant      string
		Packages     []keyPackage
		Sources      []Source
	}{PipelineVersion, r.Distribution, r.Codename, r.Arch, r.Variant, pkgs, r.Sources})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// include renders the packages as mmdebstrap's --include value, pinning versions.
func (r Request) include() string {
	parts := make([]string, len(r.Packages))
	for i, p := range r.Packages {
		parts[i] = p.Name
		if p.Version != "" {
			parts[i] += "=" + p.Version
		}
	}
	return strings.Join(parts, ",")
}

// poolName names the .deb pool shared by every build of one distribution release.
func (r Request) poolName() string {
	return r.Distribution + "-" + r.Codename + "-" + r.Arch
}
