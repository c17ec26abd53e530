package service

import (
	"github.com/kilnhq/kiln/internal/distro"
)

// distributionByURI resolves "distributions/{id}"; where names the field for errors.
func distributionByURI(uri, where string) (distro.Distribution, error) {
	ids, ok := parseURI(uri, "distributions/{}")
	if !ok {
		return distro.Distribution{}, invalid("distribution.uri", "%s: %q is not a distribution uri (distributions/{id})", where, uri)
	}
	d, ok := distro.ByID(ids[0])
	if !ok {
		return distro.Distribution{}, invalid("distribution.unknown", "%s: distribution %d does not exist (see GET /distributions)", where, ids[0])
	}
	return d, nil
}

// profileOf returns profile pid of distribution did.
func profileOf(did, pid int64) (distro.Distribution, distro.Profile, bool) {
	p, d, ok := distro.ProfileByID(pid)
	if !ok || d.ID != did {
		return distro.Distribution{}, distro.Profile{}, false
	}
	return d, p, true
}

func profileNames(d distro.Distribution) []string {
	out := make([]string, len(d.Profiles))
	for i, p := range d.Profiles {
		out[i] = p.Name
	}
	return out
}
