package service

import (
	"slices"
	"testing"

	"github.com/kilnhq/kiln/internal/store"
)

func TestParseURI(t *testing.T) {
	for _, tc := range []struct {
		uri, pattern string
		want         []int64 // nil: no match
	}{
		{"distributions/2", "distributions/{}", []int64{2}},
		{"/distributions/2", "distributions/{}", []int64{2}},
		{"distributions/2/pkgs/731", "distributions/{}/pkgs/{}", []int64{2, 731}},
		{"https://kiln.example/api/distributions/2/pkgs/731", "distributions/{}/pkgs/{}", []int64{2, 731}},
		{"http://h:8080/api/orgs/1/targetformats/29", "orgs/{}/targetformats/{}", []int64{1, 29}},
		{"distributions/2/profiles/3", "distributions/{}/pkgs/{}", nil}, // another collection
		{"distributions/2/pkgs", "distributions/{}/pkgs/{}", nil},       // too short
		{"distributions/2/pkgs/7/x", "distributions/{}/pkgs/{}", nil},   // too long
		{"distributions/0", "distributions/{}", nil},                    // ids start at 1
		{"distributions/-4", "distributions/{}", nil},                   // no negative id
		{"distributions/debian", "distributions/{}", nil},               // not a number
		{"https://kiln.example/api/users/2", "distributions/{}", nil},   // absolute, elsewhere
		{"", "distributions/{}", nil},
	} {
		got, ok := parseURI(tc.uri, tc.pattern)
		if ok != (tc.want != nil) || !slices.Equal(got, tc.want) {
			t.Errorf("parseURI(%q, %q) = %v, %v; want %v", tc.uri, tc.pattern, got, ok, tc.want)
		}
	}
}

// UForge clients parse ids out of uris: their shapes are exact.
func TestURIShapes(t *testing.T) {
	scanImage := &store.Image{ID: 9, ScanID: 5, ScanInstanceID: 4}
	applianceImage := &store.Image{ID: 8, ApplianceID: 3}
	for _, tc := range []struct{ got, want string }{
		{userURI("alice"), "users/alice"},
		{applianceURI("alice", 3), "users/alice/appliances/3"},
		{osProfileURI("alice", 3), "users/alice/appliances/3/osprofile/3"},
		{installProfileURI("alice", 3), "users/alice/appliances/3/installProfile/3"},
		{distributionURI(2), "distributions/2"},
		{profileURI(2, 3), "distributions/2/profiles/3"},
		{packageURI(2, 731), "distributions/2/pkgs/731"},
		{targetFormatURI(29), "orgs/1/targetformats/29"},
		{orgURI(), "orgs/1"},
		{instanceURI("alice", 4), "users/alice/scannedinstances/4"},
		{scanURI("alice", 4, 5), "users/alice/scannedinstances/4/scans/5"},
		{imageURI("alice", applianceImage), "users/alice/appliances/3/images/8"},
		{imageURI("alice", scanImage), "users/alice/scannedinstances/4/scans/5/images/9"},
	} {
		if tc.got != tc.want {
			t.Errorf("uri %q, want %q", tc.got, tc.want)
		}
	}
}

func TestFilterByURI(t *testing.T) {
	imgs := []store.Image{{ID: 1, ApplianceID: 3}, {ID: 2, ApplianceID: 3}, {ID: 3, ScanID: 5, ScanInstanceID: 4}}
	ids := func(imgs []store.Image) []int64 {
		var out []int64
		for _, img := range imgs {
			out = append(out, img.ID)
		}
		return out
	}
	for _, tc := range []struct {
		uris []string
		want []int64
	}{
		{nil, []int64{1, 2, 3}},
		{[]string{"users/alice/appliances/3/images/2"}, []int64{2}},
		{[]string{"/users/alice/appliances/3/images/1", "https://kiln.example/api/users/alice/scannedinstances/4/scans/5/images/3"}, []int64{1, 3}},
		{[]string{"users/bob/appliances/3/images/1"}, nil}, // another user's uri
	} {
		if got := ids(filterByURI("alice", imgs, tc.uris)); !slices.Equal(got, tc.want) {
			t.Errorf("filterByURI(%q) = %v, want %v", tc.uris, got, tc.want)
		}
	}
}
