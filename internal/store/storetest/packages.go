package storetest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/kilnhq/kiln/internal/store"
	"github.com/kilnhq/kiln/internal/testenv"
)

// refreshTime has microsecond precision, the finest both databases keep.
var refreshTime = time.Date(2026, 3, 1, 12, 30, 45, 123456000, time.UTC)

// bigIndex is the size of a real Debian main amd64 index, give or take
// (a tenth of it with go test -short).
const bigIndex = 65000

// speedTarget is how long replacing a bigIndex-row index should take on a
// quiet machine. The test fails only at speedLimit: shared CI machines run
// several test binaries on two cores, and a timing test that flakes under load
// gets ignored. A row-at-a-time regression is still well past the limit.
const (
	speedTarget = 3 * time.Second
	speedLimit  = 3 * speedTarget
)

// syntheticPackages returns n packages; variant changes their versions so that
// two variants share no (name, version, arch).
func syntheticPackages(n, variant int) []store.Package {
	pkgs := make([]store.Package, n)
	for i := range pkgs {
		pkgs[i] = store.Package{
			Name:     fmt.Sprintf("pkg-%06d", i),
			Version:  fmt.Sprintf("%d.%d-%d", i%7, variant, i%3),
			Arch:     []string{"amd64", "all"}[i%2],
			Section:  []string{"libs", "utils", "devel"}[i%3],
			Size:     int64(1024 * (i + 1)),
			Filename: fmt.Sprintf("pool/main/p/pkg-%06d/pkg_%d_%d.deb", i, i, variant),
		}
	}
	return pkgs
}

// key identifies a package across refreshes.
func key(p store.Package) string { return p.Name + " " + p.Version + " " + p.Arch }

// idsByKey returns the ids of the whole index of dist.
func idsByKey(t *testing.T, s store.Store, dist int64) map[string]store.Package {
	t.Helper()
	all, total, err := s.SearchPackages(t.Context(), dist, store.PackageFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if total != len(all) {
		t.Fatalf("SearchPackages total %d != %d rows", total, len(all))
	}
	m := make(map[string]store.Package, len(all))
	for _, p := range all {
		m[key(p)] = p
	}
	return m
}

func names(pkgs []store.Package) []string {
	var out []string
	for _, p := range pkgs {
		out = append(out, p.Name+"="+p.Version+"/"+p.Arch)
	}
	return out
}

func testPackages(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("ReplaceKeepsIDs", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), t.Context()
		if n, when, err := s.PackageIndex(ctx, 7); err != nil || n != 0 || !when.IsZero() {
			t.Errorf("PackageIndex before any refresh = %d, %v, %v", n, when, err)
		}
		first := []store.Package{
			{Name: "bash", Version: "5.2-1", Arch: "amd64", Section: "shells", Size: 7000, Filename: "pool/b/bash_5.2-1.deb"},
			{Name: "coreutils", Version: "9.1-1", Arch: "amd64", Section: "utils", Size: 18000, Filename: "pool/c/cu.deb"},
			{Name: "gone", Version: "1", Arch: "all", Section: "misc", Size: 1, Filename: "pool/g/gone.deb"},
			{Name: "tzdata", Version: "2024a", Arch: "all", Section: "localization", Size: 3000, Filename: "pool/t/tz.deb"},
		}
		if err := s.ReplacePackages(ctx, 7, first, refreshTime); err != nil {
			t.Fatal(err)
		}
		before := idsByKey(t, s, 7)
		if len(before) != 4 {
			t.Fatalf("index has %d packages, want 4", len(before))
		}
		var maxID int64
		for _, p := range before {
			maxID = max(maxID, p.ID)
			if p.DistributionID != 7 {
				t.Errorf("%s has distribution %d", key(p), p.DistributionID)
			}
		}
		second := []store.Package{
			{Name: "bash", Version: "5.2-1", Arch: "amd64", Section: "shells", Size: 7000, Filename: "pool/b/bash_5.2-1.deb"}, // unchanged
			{Name: "coreutils", Version: "9.1-1", Arch: "amd64", Section: "base", Size: 18500, Filename: "pool/c/cu2.deb"},    // same identity, new fields
			{Name: "tzdata", Version: "2024b", Arch: "all", Section: "localization", Size: 3100, Filename: "pool/t/tz.deb"},   // new version
			{Name: "tzdata", Version: "2024a", Arch: "all", Section: "localization", Size: 3000, Filename: "pool/t/tz.deb"},   // kept alongside
			{Name: "newpkg", Version: "1.0", Arch: "amd64", Section: "misc", Size: 10, Filename: "pool/n/new.deb"},            // new
			{Name: "newpkg", Version: "1.0", Arch: "amd64", Section: "misc", Size: 11, Filename: "pool/n/new-dup.deb"},        // duplicate: last wins
		}
		later := refreshTime.Add(time.Hour)
		if err := s.ReplacePackages(ctx, 7, second, later); err != nil {
			t.Fatal(err)
		}
		after := idsByKey(t, s, 7)
		if len(after) != 5 {
			t.Fatalf("index has %d packages, want 5: %v", len(after), after)
		}
		for _, k := range []string{"bash 5.2-1 amd64", "coreutils 9.1-1 amd64", "tzdata 2024a all"} {
			if after[k].ID != before[k].ID {
				t.Errorf("%s: id %d became %d", k, before[k].ID, after[k].ID)
			}
		}
		cu := after["coreutils 9.1-1 amd64"]
		if cu.Section != "base" || cu.Size != 18500 || cu.Filename != "pool/c/cu2.deb" {
			t.Errorf("coreutils fields not updated: %+v", cu)
		}
		if np := after["newpkg 1.0 amd64"]; np.Size != 11 || np.Filename != "pool/n/new-dup.deb" {
			t.Errorf("duplicate input: got %+v, want the last one", np)
		}
		for _, k := range []string{"tzdata 2024b all", "newpkg 1.0 amd64"} {
			if after[k].ID <= maxID {
				t.Errorf("new package %s got id %d, not above every earlier id (%d): ids must never be reused", k, after[k].ID, maxID)
			}
		}
		_, err := s.GetPackage(ctx, 7, before["gone 1 all"].ID)
		wantErr(t, err, store.ErrNotFound)
		got, err := s.GetPackage(ctx, 7, cu.ID)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(&cu, got); d != "" {
			t.Errorf("GetPackage (-want +got):\n%s", d)
		}
		_, err = s.GetPackage(ctx, 8, cu.ID)
		wantErr(t, err, store.ErrNotFound)
		n, when, err := s.PackageIndex(ctx, 7)
		if err != nil || n != 5 || !when.Equal(later) || when.Location() != time.UTC {
			t.Errorf("PackageIndex = %d, %v, %v; want 5, %v", n, when, err, later)
		}

		// Emptying the index.
		if err := s.ReplacePackages(ctx, 7, nil, later); err != nil {
			t.Fatal(err)
		}
		if n, _, _ := s.PackageIndex(ctx, 7); n != 0 {
			t.Errorf("PackageIndex after emptying = %d", n)
		}
		if all, total, err := s.SearchPackages(ctx, 7, store.PackageFilter{}); err != nil || total != 0 || len(all) != 0 {
			t.Errorf("SearchPackages after emptying = %v, %d, %v", all, total, err)
		}
	})
	t.Run("DistributionsIsolated", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), t.Context()
		a := []store.Package{{Name: "same", Version: "1", Arch: "amd64"}}
		if err := s.ReplacePackages(ctx, 1, a, refreshTime); err != nil {
			t.Fatal(err)
		}
		if err := s.ReplacePackages(ctx, 2, a, refreshTime); err != nil {
			t.Fatal(err)
		}
		one := idsByKey(t, s, 1)
		if err := s.ReplacePackages(ctx, 2, nil, refreshTime); err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(one, idsByKey(t, s, 1)); d != "" {
			t.Errorf("replacing distribution 2 changed distribution 1 (-want +got):\n%s", d)
		}
		if n, _, _ := s.PackageIndex(ctx, 1); n != 1 {
			t.Errorf("PackageIndex(1) = %d, want 1", n)
		}
	})
	t.Run("Search", func(t *testing.T) { t.Parallel(); testSearch(t, open(t)) })
	t.Run("ByName", func(t *testing.T) { t.Parallel(); testByName(t, open(t)) })
	t.Run("Speed", func(t *testing.T) { testSpeed(t, open(t)) })
}

func testSearch(t *testing.T, s store.Store) {
	ctx := t.Context()
	var pkgs []store.Package
	for _, n := range []string{"libc6", "libc6-dev", "lib_a", "libXa", "Libfoo", "a%b", "axxb", "a-b", "a.b", "ab", "zlib1g", `back\slash`, `backXslash`} {
		pkgs = append(pkgs, store.Package{Name: n, Version: "1.0", Arch: "amd64"})
	}
	pkgs = append(pkgs,
		store.Package{Name: "libc6", Version: "2.36-9", Arch: "amd64"},
		store.Package{Name: "libc6", Version: "2.36-9", Arch: "i386"},
		store.Package{Name: "libc6", Version: "2.36-10", Arch: "amd64"},
		store.Package{Name: "libc6", Version: "1.0_beta", Arch: "amd64"},
		store.Package{Name: "libc6", Version: "1.0Xbeta", Arch: "amd64"},
	)
	if err := s.ReplacePackages(ctx, 3, pkgs, refreshTime); err != nil {
		t.Fatal(err)
	}
	if err := s.ReplacePackages(ctx, 4, pkgs, refreshTime); err != nil { // noise in another distribution
		t.Fatal(err)
	}
	cases := []struct {
		f    store.PackageFilter
		want []string
	}{
		{store.PackageFilter{Name: "libc6"}, []string{"libc6=1.0/amd64", "libc6=1.0Xbeta/amd64", "libc6=1.0_beta/amd64", "libc6=2.36-10/amd64", "libc6=2.36-9/amd64", "libc6=2.36-9/i386"}},
		{store.PackageFilter{Name: "libc"}, nil}, // exact unless '*'
		{store.PackageFilter{Name: "lib_a"}, []string{"lib_a=1.0/amd64"}},
		{store.PackageFilter{Name: "lib_*"}, []string{"lib_a=1.0/amd64"}}, // '_' is literal, not LIKE's any-char
		{store.PackageFilter{Name: "a%*"}, []string{"a%b=1.0/amd64"}},     // '%' is literal
		{store.PackageFilter{Name: `back\*`}, []string{`back\slash=1.0/amd64`}},
		{store.PackageFilter{Name: "Lib*"}, []string{"Libfoo=1.0/amd64"}}, // case-sensitive
		{store.PackageFilter{Name: "*-dev"}, []string{"libc6-dev=1.0/amd64"}},
		{store.PackageFilter{Name: "a*b"}, []string{"a%b=1.0/amd64", "a-b=1.0/amd64", "a.b=1.0/amd64", "ab=1.0/amd64", "axxb=1.0/amd64"}},
		{store.PackageFilter{Name: "libc6", Version: "2.36-*"}, []string{"libc6=2.36-10/amd64", "libc6=2.36-9/amd64", "libc6=2.36-9/i386"}},
		{store.PackageFilter{Name: "libc6", Version: "1.0_*"}, []string{"libc6=1.0_beta/amd64"}},
		{store.PackageFilter{Version: "2.36-9"}, []string{"libc6=2.36-9/amd64", "libc6=2.36-9/i386"}},
		{store.PackageFilter{Name: "nothing*"}, nil},
	}
	for _, c := range cases {
		got, total, err := s.SearchPackages(ctx, 3, c.f)
		if err != nil {
			t.Fatalf("SearchPackages(%+v): %v", c.f, err)
		}
		if d := cmp.Diff(c.want, names(got), cmpopts.EquateEmpty()); d != "" {
			t.Errorf("SearchPackages(%+v) (-want +got):\n%s", c.f, d)
		}
		if total != len(c.want) {
			t.Errorf("SearchPackages(%+v) total = %d, want %d", c.f, total, len(c.want))
		}
	}

	// Whole index: byte order by name, version, arch.
	all, total, err := s.SearchPackages(ctx, 3, store.PackageFilter{Name: "*"})
	if err != nil {
		t.Fatal(err)
	}
	if total != len(pkgs) || len(all) != len(pkgs) {
		t.Fatalf("SearchPackages(*) = %d rows, total %d; want %d", len(all), total, len(pkgs))
	}
	if !slices.IsSortedFunc(all, func(a, b store.Package) int {
		return strings.Compare(a.Name+"\x00"+a.Version+"\x00"+a.Arch, b.Name+"\x00"+b.Version+"\x00"+b.Arch)
	}) {
		t.Errorf("SearchPackages not in byte order: %v", names(all))
	}

	// Paging walks the same order, with the total on every page.
	var paged []store.Package
	for off := 0; ; off += 4 {
		page, total, err := s.SearchPackages(ctx, 3, store.PackageFilter{Offset: off, Limit: 4})
		if err != nil {
			t.Fatal(err)
		}
		if total != len(pkgs) {
			t.Errorf("page at %d: total %d, want %d", off, total, len(pkgs))
		}
		if len(page) == 0 {
			break
		}
		if len(page) > 4 {
			t.Fatalf("page of %d rows, limit 4", len(page))
		}
		paged = append(paged, page...)
	}
	if d := cmp.Diff(all, paged); d != "" {
		t.Errorf("pages joined (-want +got):\n%s", d)
	}
	if page, total, err := s.SearchPackages(ctx, 3, store.PackageFilter{Offset: 1000, Limit: 4}); err != nil || len(page) != 0 || total != len(pkgs) {
		t.Errorf("page past the end = %d rows, total %d, %v; want 0, %d", len(page), total, err, len(pkgs))
	}
	if page, total, err := s.SearchPackages(ctx, 3, store.PackageFilter{Offset: 2}); err != nil || len(page) != len(pkgs)-2 || total != len(pkgs) {
		t.Errorf("offset without limit = %d rows, total %d, %v", len(page), total, err)
	}
	if page, _, err := s.SearchPackages(ctx, 3, store.PackageFilter{Offset: -5, Limit: -1}); err != nil || len(page) != len(pkgs) {
		t.Errorf("negative offset and limit = %d rows, %v; want all", len(page), err)
	}
	if page, total, err := s.SearchPackages(ctx, 99, store.PackageFilter{}); err != nil || len(page) != 0 || total != 0 {
		t.Errorf("unknown distribution = %v, %d, %v", page, total, err)
	}
}

func testByName(t *testing.T, s store.Store) {
	ctx := t.Context()
	pkgs := syntheticPackages(1500, 0)
	pkgs = append(pkgs, store.Package{Name: "pkg-000001", Version: "0.0-0", Arch: "i386"})
	if err := s.ReplacePackages(ctx, 5, pkgs, refreshTime); err != nil {
		t.Fatal(err)
	}
	got, err := s.PackagesByName(ctx, 5, []string{"pkg-000002", "missing", "pkg-000001", "pkg-000002"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"pkg-000001=0.0-0/i386", "pkg-000001=1.0-1/all", "pkg-000002=2.0-2/amd64"}
	if d := cmp.Diff(want, names(got)); d != "" {
		t.Errorf("PackagesByName (-want +got):\n%s", d)
	}
	if got, err := s.PackagesByName(ctx, 5, nil); err != nil || len(got) != 0 {
		t.Errorf("PackagesByName(nil) = %v, %v", got, err)
	}
	// More names than one statement takes.
	var many []string
	for i := 1499; i >= 0; i -= 2 {
		many = append(many, fmt.Sprintf("pkg-%06d", i))
	}
	got, err = s.PackagesByName(ctx, 5, many)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 750+1 { // pkg-000001 has two architectures
		t.Errorf("PackagesByName(750 names) = %d packages, want 751", len(got))
	}
	if !slices.IsSortedFunc(got, func(a, b store.Package) int { return strings.Compare(a.Name, b.Name) }) {
		t.Error("PackagesByName not ordered by name")
	}
	if got, err := s.PackagesByName(ctx, 6, []string{"pkg-000001"}); err != nil || len(got) != 0 {
		t.Errorf("PackagesByName in another distribution = %v, %v", got, err)
	}
}

// testSpeed replaces a full-size index three ways: first import, a typical
// refresh (1% of packages gone, 1% new), and 10% of rows with changed fields.
func testSpeed(t *testing.T, s store.Store) {
	ctx := t.Context()
	check := func(what string, pkgs []store.Package) {
		t.Helper()
		start := time.Now()
		if err := s.ReplacePackages(ctx, 9, pkgs, refreshTime); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		d := time.Since(start)
		t.Logf("ReplacePackages %s of %d packages: %v", what, len(pkgs), d)
		if d > speedLimit && !raceEnabled {
			t.Errorf("ReplacePackages %s took %v, target %v, limit %v", what, d, speedTarget, speedLimit)
		} else if d > speedTarget {
			t.Logf("over the %v target: a loaded machine, or a regression", speedTarget)
		}
	}
	// The full mirror-sized index is a performance check: it runs with the
	// end-to-end tests (KILN_E2E=1); the fast suite uses a tenth of it.
	size := bigIndex / 10
	if testenv.E2E() {
		size = bigIndex
	}
	first := syntheticPackages(size, 0)
	check("first import", first)
	before := idsByKey(t, s, 9)
	if len(before) != size {
		t.Fatalf("index has %d packages, want %d", len(before), size)
	}

	refresh := slices.Clone(first[size/100:])                    // first 1% removed
	refresh = append(refresh, syntheticPackages(size/100, 1)...) // 1% new versions
	check("refresh", refresh)
	after := idsByKey(t, s, 9)
	if len(after) != size {
		t.Fatalf("index has %d packages after refresh, want %d", len(after), size)
	}
	for _, p := range first[size/100:] {
		if after[key(p)].ID != before[key(p)].ID {
			t.Fatalf("%s: id %d became %d", key(p), before[key(p)].ID, after[key(p)].ID)
		}
	}

	changed := slices.Clone(refresh)
	for i := 0; i < len(changed); i += 10 {
		changed[i].Size++
		changed[i].Filename += ".new"
	}
	check("10% changed", changed)
	final := idsByKey(t, s, 9)
	for _, p := range changed {
		got := final[key(p)]
		if got.ID != after[key(p)].ID || got.Size != p.Size || got.Filename != p.Filename {
			t.Fatalf("%s after update = %+v, want id %d, size %d, filename %s", key(p), got, after[key(p)].ID, p.Size, p.Filename)
		}
	}
	if n, _, err := s.PackageIndex(ctx, 9); err != nil || n != size {
		t.Errorf("PackageIndex = %d, %v; want %d", n, err, size)
	}
}
