package spec

import (
	"strings"
	"testing"
)

func TestReleaseSpellings(t *testing.T) {
	for in, want := range map[string]string{"11": "11", "bookworm": "12", "Trixie": "13", "BULLSEYE": "11"} {
		s := Spec{Distribution: Distribution{Release: in}, Output: Output{Format: "raw"}}
		s.Defaults()
		if err := s.Validate(); err != nil || s.Distribution.Release != want {
			t.Errorf("release %q: %q, %v; want %q", in, s.Distribution.Release, err, want)
		}
	}
	for _, in := range []string{"10", "buster", "forky", "sid", " 12", ""} {
		s := Spec{Distribution: Distribution{Release: in}, Output: Output{Format: "raw"}}
		s.Defaults()
		err := s.Validate()
		if err == nil || !strings.Contains(err.Error(), "distribution.release: \""+in+"\" is not supported (supported: 11, 12, 13)") {
			t.Errorf("release %q: err = %v", in, err)
		}
	}
	for in, want := range map[string]string{"11": "bullseye", "12": "bookworm", "13": "trixie"} {
		if got, ok := Codename(in); !ok || got != want {
			t.Errorf("Codename(%q) = %q, %v", in, got, ok)
		}
	}
	for _, in := range []string{"10", "14", "bookworm", ""} {
		if got, ok := Codename(in); ok {
			t.Errorf("Codename(%q) = %q", in, got)
		}
	}
}
