package distro

import (
	"slices"
	"testing"

	"github.com/kilnhq/kiln/internal/debian"
)

func TestCatalogFacts(t *testing.T) {
	all := All()
	want := []struct {
		id                int64
		version, codename string
	}{{1, "11", "bullseye"}, {2, "12", "bookworm"}, {3, "13", "trixie"}}
	if len(all) != len(want) {
		t.Fatalf("catalog has %d distributions, want %d", len(all), len(want))
	}
	profileIDs := map[int64]bool{}
	for i, w := range want {
		d := all[i]
		if d.ID != w.id || d.Version != w.version || d.Codename != w.codename {
			t.Errorf("distribution %d = %d %s %s, want %+v", i, d.ID, d.Version, d.Codename, w)
		}
		// Wire enums of uforge.xsd.
		if d.Name != "Debian" || d.Arch != "x86_64" || d.Family != "linux" || d.PkgType != "deb" || d.DebArch != "amd64" {
			t.Errorf("%s: wire facts %q %q %q %q %q", d.Codename, d.Name, d.Arch, d.Family, d.PkgType, d.DebArch)
		}
		if d.ReleaseDate.IsZero() || d.Description == "" {
			t.Errorf("%s: release date or description missing", d.Codename)
		}
		if len(d.Suites) != 2 || d.Suites[0] != d.Codename || d.Suites[1] != d.Codename+"-updates" {
			t.Errorf("%s: suites %v", d.Codename, d.Suites)
		}
		minimal, ok := d.Profile("minimal")
		if !ok || minimal.Variant != "minbase" || slices.Contains(minimal.Packages, "linux-image-amd64") {
			t.Errorf("%s: Minimal profile %+v", d.Codename, minimal)
		}
		standard, ok := d.Profile("Standard")
		if !ok || standard.Variant != "important" || !slices.Contains(standard.Packages, "openssh-server") {
			t.Errorf("%s: Standard profile %+v", d.Codename, standard)
		}
		for _, p := range d.Profiles {
			if profileIDs[p.ID] {
				t.Errorf("profile id %d used twice", p.ID)
			}
			profileIDs[p.ID] = true
			got, gd, ok := ProfileByID(p.ID)
			if !ok || got.Name != p.Name || gd.ID != d.ID {
				t.Errorf("ProfileByID(%d) = %v %v %v", p.ID, got.Name, gd.ID, ok)
			}
		}
	}
	// Stable profile ids: appliances store them.
	for id, name := range map[int64]string{1: "bullseye Minimal", 2: "bullseye Standard", 3: "bookworm Minimal", 4: "bookworm Standard", 5: "trixie Minimal", 6: "trixie Standard"} {
		p, d, ok := ProfileByID(id)
		if !ok || d.Codename+" "+p.Name != name {
			t.Errorf("profile %d = %s %s, want %s", id, d.Codename, p.Name, name)
		}
	}
}

// The catalog offers exactly the releases internal/debian says Kiln builds.
func TestCatalogIsDebiansSupportedReleases(t *testing.T) {
	var got, want []string
	for _, d := range All() {
		got = append(got, d.Version+" "+d.Codename)
	}
	for _, r := range debian.SupportedReleases() {
		want = append(want, r.Number+" "+r.Codename)
	}
	if !slices.Equal(got, want) {
		t.Errorf("catalog %v, supported releases %v", got, want)
	}
}

func TestLookup(t *testing.T) {
	for in, id := range map[string]int64{"11": 1, "bookworm": 2, "Trixie": 3, " 12 ": 2, "3": 3} {
		d, ok := Lookup(in)
		if !ok || d.ID != id {
			t.Errorf("Lookup(%q) = %d, %v; want %d", in, d.ID, ok, id)
		}
	}
	for _, in := range []string{"", "10", "buster", "sid", "99"} {
		if d, ok := Lookup(in); ok {
			t.Errorf("Lookup(%q) found %s", in, d.Codename)
		}
	}
}

func TestAllReturnsFreshValues(t *testing.T) {
	a := All()
	a[0].Profiles[0].Packages[0] = "changed"
	a[0].Suites[0] = "changed"
	b := All()
	if b[0].Profiles[0].Packages[0] == "changed" || b[0].Suites[0] == "changed" {
		t.Error("modifying All()'s result changed the catalog")
	}
}
