package generate

import (
	"github.com/kilnhq/kiln/internal/record"
	"github.com/kilnhq/kiln/internal/spec"
)

// compareAccounts lists the accounts recreated from the scan (IfMissing) that
// the image has under another id: a package of the image created them, or
// gave their id to another account so that configure took a free one. Their
// files carry the image's id (the overlay maps owners by name): the user
// should know.
func compareAccounts(in spec.Install, names accountNames) []record.AccountDiff {
	var out []record.AccountDiff
	check := func(kind, name string, want int, byID map[int]string) {
		for id, n := range byID {
			if n == name && id != want {
				out = append(out, record.AccountDiff{Kind: kind, Name: name, Source: want, Image: id})
				return
			}
		}
	}
	for _, g := range in.Groups {
		if g.IfMissing {
			check("group", g.Name, g.GID, names.groups)
		}
	}
	for _, u := range in.Users {
		if u.IfMissing {
			check("user", u.Name, u.UID, names.users)
		}
	}
	return out
}
