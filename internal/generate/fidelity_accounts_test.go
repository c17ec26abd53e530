package generate

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kilnhq/kiln/internal/record"
	"github.com/kilnhq/kiln/internal/spec"
)

// Only recreated accounts the image has under another id are reported; an
// account created as scanned, or one the profile asked for outright, is not.
func TestCompareAccounts(t *testing.T) {
	in := spec.Install{
		Groups: []spec.Group{{Name: "www-data", GID: 733, IfMissing: true}, {Name: "appsvc", GID: 950, IfMissing: true}, {Name: "ops", GID: 1000}},
		Users:  []spec.User{{Name: "www-data", UID: 733, IfMissing: true}, {Name: "appsvc", UID: 950, IfMissing: true}, {Name: "ops", UID: 1000}},
	}
	names := accountNames{
		users:  map[int]string{33: "www-data", 950: "appsvc", 1001: "ops"},
		groups: map[int]string{33: "www-data", 950: "appsvc", 1001: "ops"},
	}
	want := []record.AccountDiff{
		{Kind: "group", Name: "www-data", Source: 733, Image: 33},
		{Kind: "user", Name: "www-data", Source: 733, Image: 33},
	}
	if diff := cmp.Diff(want, compareAccounts(in, names)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
