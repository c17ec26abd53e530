package debian

import (
	"slices"
	"testing"
)

func TestReleaseTable(t *testing.T) {
	numbers, codenames := map[string]bool{}, map[string]bool{}
	var last Release
	for _, r := range Releases() {
		if r.Codename == "" || codenames[r.Codename] || (r.Number != "" && numbers[r.Number]) {
			t.Errorf("release %+v: codename missing or repeated, or number repeated", r)
		}
		codenames[r.Codename], numbers[r.Number] = true, true
		if !r.Released.IsZero() && r.Released.Before(last.Released) {
			t.Errorf("%s is listed after %s but released before it", r.Codename, last.Codename)
		}
		last = r
	}
	var got []string
	for _, r := range SupportedReleases() {
		got = append(got, r.Number+" "+r.Codename)
		if r.Released.IsZero() || r.dhcpClient == "" {
			t.Errorf("supported release %s lacks a release date or a DHCP client", r.Codename)
		}
	}
	if want := []string{"11 bullseye", "12 bookworm", "13 trixie"}; !slices.Equal(got, want) {
		t.Errorf("supported releases %v, want %v", got, want)
	}
	if s := SupportedList(); s != "11, 12 and 13" {
		t.Errorf("SupportedList() = %q", s)
	}
}

func TestLookup(t *testing.T) {
	for in, want := range map[string]string{"11": "bullseye", "bookworm": "bookworm", "Trixie": "trixie", "10": "buster", "sid": "sid", "FORKY": "forky"} {
		if r, ok := Lookup(in); !ok || r.Codename != want {
			t.Errorf("Lookup(%q) = %+v, %v; want %s", in, r, ok, want)
		}
	}
	for _, in := range []string{"", " 12", "12.1", "jammy", "stable", "unstable"} {
		if r, ok := Lookup(in); ok {
			t.Errorf("Lookup(%q) found %s", in, r.Codename)
		}
	}
	if r, ok := ByNumber("bookworm"); ok {
		t.Errorf("ByNumber(bookworm) found %s", r.Codename)
	}
	if r, ok := ByCodename("12"); ok {
		t.Errorf("ByCodename(12) found %s", r.Codename)
	}
	if r, _ := Lookup("12"); r.Status != Supported {
		t.Error("bookworm is not supported")
	}
	if r, _ := Lookup("buster"); r.Status != Unsupported {
		t.Error("buster is supported")
	}
}

func TestIsArchiveSuite(t *testing.T) {
	for _, s := range []string{"bookworm", "buster", "squeeze", "duke", "sid", "stable", "oldoldstable", "testing", "unstable", "experimental"} {
		if !IsArchiveSuite(s) {
			t.Errorf("IsArchiveSuite(%q) = false", s)
		}
	}
	for _, s := range []string{"", "Bookworm", "jammy", "bookworm-security", "12", "lenny"} {
		if IsArchiveSuite(s) {
			t.Errorf("IsArchiveSuite(%q) = true", s)
		}
	}
}

func TestReleasesIsACopy(t *testing.T) {
	Releases()[0].Codename = "changed"
	if Releases()[0].Codename == "changed" {
		t.Error("modifying Releases()'s result changed the table")
	}
}
