package distro

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
)

// Source is one apt source of a distribution: what the rootfs builder hands to
// mmdebstrap and what the indexer reads package lists from.
type Source struct {
	URI        string // mirror root, no trailing slash: http://deb.debian.org/debian
	Suite      string // bookworm, bookworm-updates
	Components []string
}

// Mirrors maps each distribution of the catalog to the mirror it is read from.
type Mirrors struct {
	byDist map[int64]string
}

// NewMirrors uses defaultURI for every distribution except those overridden.
// Override keys name a distribution as Lookup accepts it ("11", "bullseye" or
// its ID); values are http(s) mirror URIs.
func NewMirrors(defaultURI string, overrides map[string]string) (*Mirrors, error) {
	def, err := cleanURI(defaultURI)
	if err != nil {
		return nil, fmt.Errorf("default mirror: %w", err)
	}
	m := &Mirrors{byDist: map[int64]string{}}
	for _, d := range All() {
		m.byDist[d.ID] = def
	}
	for key, uri := range overrides {
		d, ok := Lookup(key)
		if !ok {
			return nil, fmt.Errorf("mirror override %q: no such distribution", key)
		}
		u, err := cleanURI(uri)
		if err != nil {
			return nil, fmt.Errorf("mirror override %q: %w", key, err)
		}
		m.byDist[d.ID] = u
	}
	return m, nil
}

// LoadMirrors reads the Debian mirror apt is configured with under root and
// applies overrides. Without one it falls back to DefaultMirror and says so.
func LoadMirrors(root string, overrides map[string]string, log *slog.Logger) (*Mirrors, error) {
	uri, err := AptMirror(root)
	if errors.Is(err, ErrNoAptMirror) {
		if log != nil {
			log.Warn("no Debian mirror in the apt sources, using the default", "mirror", DefaultMirror)
		}
		uri = DefaultMirror
	} else if err != nil {
		return nil, err
	}
	return NewMirrors(uri, overrides)
}

func cleanURI(s string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil {
		return "", fmt.Errorf("parse mirror URI %q: %w", s, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("mirror URI %q: want http(s)://host/path", s)
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// URI returns the mirror of a distribution ("" for an ID outside the catalog).
func (m *Mirrors) URI(distID int64) string { return m.byDist[distID] }

// Sources returns the apt sources of a release (as Lookup accepts it): the
// release suite, then its updates suite, each with the catalog's components.
func (m *Mirrors) Sources(release string) ([]Source, error) {
	d, ok := Lookup(release)
	if !ok {
		return nil, fmt.Errorf("sources of release %q: no such distribution", release)
	}
	return m.sources(d), nil
}

func (m *Mirrors) sources(d Distribution) []Source {
	out := make([]Source, 0, len(d.Suites))
	for _, s := range d.Suites {
		out = append(out, Source{URI: m.byDist[d.ID], Suite: s, Components: append([]string(nil), d.Components...)})
	}
	return out
}

// String is for logs: id=uri pairs.
func (m *Mirrors) String() string {
	var b strings.Builder
	for _, d := range All() {
		if b.Len() > 0 {
			b.WriteString(" ")
		}
		b.WriteString(strconv.FormatInt(d.ID, 10) + "=" + m.byDist[d.ID])
	}
	return b.String()
}
