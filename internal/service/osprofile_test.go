package service

import (
	"slices"
	"testing"
)

func TestMergeRefs(t *testing.T) {
	ref := func(name, version string) packageRef { return packageRef{Name: name, Version: version} }
	for _, tc := range []struct {
		name           string
		base, add, del []packageRef
		want           []packageRef
	}{
		{"empty", nil, nil, nil, []packageRef{}},
		{"add keeps order", []packageRef{ref("a", "")}, []packageRef{ref("c", ""), ref("b", "")}, nil,
			[]packageRef{ref("a", ""), ref("c", ""), ref("b", "")}},
		{"a name appears once, the last version wins in place", []packageRef{ref("a", "1"), ref("b", "")},
			[]packageRef{ref("a", "2"), ref("a", "3")}, nil, []packageRef{ref("a", "3"), ref("b", "")}},
		{"delete by name, whatever the version", []packageRef{ref("a", "1"), ref("b", ""), ref("c", "")},
			nil, []packageRef{ref("a", "9"), ref("c", "")}, []packageRef{ref("b", "")}},
		{"add then delete the same", nil, []packageRef{ref("a", "")}, []packageRef{ref("a", "")}, []packageRef{}},
		{"deleting what is absent", []packageRef{ref("a", "")}, nil, []packageRef{ref("z", "")}, []packageRef{ref("a", "")}},
	} {
		got := mergeRefs(tc.base, tc.add, tc.del)
		if got == nil || !slices.Equal(got, tc.want) {
			t.Errorf("%s: mergeRefs = %v, want %v", tc.name, got, tc.want)
		}
	}
}
