package generate

import (
	"github.com/kilnhq/kiln/internal/record"
	"github.com/kilnhq/kiln/internal/spec"
)

// compareAccounts lists the accounts recreated from the scan (IfMissing) that
// the image has under another id: configure left them to the package that
// created them, and the user should know their files now carry that id.
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
