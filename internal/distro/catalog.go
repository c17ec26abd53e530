// Package distro knows the distributions Kiln offers (a catalog kept as data),
// the mirror they are installed from, and their package indexes, which it reads
// from the mirror into the store so that appliances can list and pick packages.
package distro

import (
	"strconv"
	"strings"
	"time"

	"github.com/kilnhq/kiln/internal/debian"
)

// Distribution is one release Kiln can build, with the facts a UForge client
// sees on the wire and those the rootfs builder needs.
type Distribution struct {
	ID          int64     // stable: stored in appliances, specs and package rows
	Name        string    // Distribution.name enum of uforge.xsd: "Debian"
	Version     string    // "12"
	Codename    string    // "bookworm"
	Arch        string    // Distribution.arch enum on the wire: "x86_64"
	DebArch     string    // the architecture on the mirror and for mmdebstrap: "amd64"
	Family      string    // Distribution.family enum: "linux"
	PkgType     string    // "deb"
	ReleaseDate time.Time // first release of the stable version
	Description string
	// Suites are read from the mirror in this order: the release, then its
	// updates suite (stable-updates, formerly volatile) where the archive has one.
	Suites     []string
	Components []string
	Profiles   []Profile
}

// Profile is a standard OS profile: a starting package set for appliances.
type Profile struct {
	ID          int64  // stable and unique across distributions
	Name        string // "Minimal", "Standard"
	Description string
	Variant     string   // mmdebstrap --variant
	Packages    []string // installed on top of the variant, in every image
	// What booting needs (a kernel, an init, DHCP networking) is not the
	// profile's: the plan adds debian.BootPackages to images that boot.
}

// catalog gives each release Kiln builds its stable IDs: the distribution's,
// and its Minimal and Standard profiles'. The releases themselves (codename,
// release date, boot packages) are internal/debian's.
var catalog = []struct {
	id, minimalID, standardID int64
	version                   string
}{
	{1, 1, 2, "11"},
	{2, 3, 4, "12"},
	{3, 5, 6, "13"},
}

// All returns the catalog, ordered by ID. Every call builds fresh values, so
// callers may modify what they get.
func All() []Distribution {
	out := make([]Distribution, 0, len(catalog))
	for _, c := range catalog {
		r, ok := debian.ByNumber(c.version)
		if !ok {
			panic("distro: Debian " + c.version + " is not in internal/debian's release table")
		}
		out = append(out, debianDistribution(c.id, r, c.minimalID, c.standardID))
	}
	return out
}

// debianDistribution is release r as the catalog offers it.
func debianDistribution(id int64, r debian.Release, minimalID, standardID int64) Distribution {
	version, codename := r.Number, r.Codename
	return Distribution{
		ID: id, Name: "Debian", Version: version, Codename: codename,
		Arch: "x86_64", DebArch: "amd64", Family: "linux", PkgType: "deb",
		ReleaseDate: r.Released, Description: "Debian GNU/Linux " + version + " (" + codename + "), amd64",
		Suites:     []string{codename, codename + "-updates"},
		Components: []string{"main"},
		Profiles: []Profile{
			{
				ID: minimalID, Name: "Minimal", Variant: "minbase",
				Packages:    []string{"kmod", "iproute2", "netbase"},
				Description: "Debian " + version + " minbase (essential packages and apt) plus what booting and DHCP networking need",
			},
			{
				ID: standardID, Name: "Standard", Variant: "important",
				Packages:    []string{"openssh-server"},
				Description: "Debian " + version + " with every package of priority important, a kernel and an SSH server",
			},
		},
	}
}

// ByID returns the distribution with this ID.
func ByID(id int64) (Distribution, bool) {
	for _, d := range All() {
		if d.ID == id {
			return d, true
		}
	}
	return Distribution{}, false
}

// Lookup finds a distribution by release: its version ("12"), its codename
// ("bookworm", any case) or its ID in decimal. This is what spec.Distribution.Release
// and mirror overrides in the configuration hold.
func Lookup(release string) (Distribution, bool) {
	release = strings.TrimSpace(release)
	for _, d := range All() {
		if d.Version == release || strings.EqualFold(d.Codename, release) {
			return d, true
		}
	}
	if id, err := strconv.ParseInt(release, 10, 64); err == nil {
		return ByID(id)
	}
	return Distribution{}, false
}

// ProfileByID returns a standard OS profile and the distribution it belongs to.
func ProfileByID(id int64) (Profile, Distribution, bool) {
	for _, d := range All() {
		for _, p := range d.Profiles {
			if p.ID == id {
				return p, d, true
			}
		}
	}
	return Profile{}, Distribution{}, false
}

// Profile returns the distribution's profile of that name (case-insensitive).
func (d Distribution) Profile(name string) (Profile, bool) {
	for _, p := range d.Profiles {
		if strings.EqualFold(p.Name, name) {
			return p, true
		}
	}
	return Profile{}, false
}
