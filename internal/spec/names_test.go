package spec

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kilnhq/kiln/internal/uforge"
)

// withInstall is a valid spec whose install profile f changed.
func withInstall(f func(*Install)) *Spec {
	s := &Spec{Distribution: Distribution{Release: "12"}, Output: Output{Format: "raw"}}
	s.Defaults()
	f(&s.Install)
	return s
}

func TestInstallNames(t *testing.T) {
	for _, tc := range []struct {
		field string
		good  []string
		bad   []string
		set   func(*Install, string)
	}{
		{"install.timezone",
			[]string{"Europe/Paris", "Etc/UTC", "UTC", "America/Argentina/Buenos_Aires", "Etc/GMT+5", "America/Port-au-Prince", "Asia/Tokyo"},
			[]string{"Mars/Olympus", "Europe/Pariss", "../../etc/passwd", "Local", "right/UTC", "posixrules", "zone.tab", "",
				"europe/paris", "Europe//Paris", "Europe/Paris/", "Europe/Paris\n"},
			func(in *Install, v string) { in.Timezone = v }},
		{"install.keyboard",
			[]string{"us", "fr", "fr-latin9", "de-latin1-nodeadkeys", "jp106", "fr-bepo_afnor"},
			[]string{"", "FR", "fr latin9", "fr\"", "fr-", "-fr", "us\nXKBOPTIONS=evil", strings.Repeat("a", 40)},
			func(in *Install, v string) { in.Keyboard = v }},
		{"install.locale",
			[]string{"C.UTF-8", "C", "POSIX", "en_US.UTF-8", "fr_FR.UTF-8", "sr_RS@latin", "de_DE", "ja_JP.EUC-JP"},
			[]string{"", "xx_XX.UTF-8", "en_US.UTF-9", "en_US.UTF-8\nLANG=evil", "../x", "fr_FR.UTF-8 UTF-8"},
			func(in *Install, v string) { in.Locale = v }},
	} {
		for _, v := range tc.good {
			if err := withInstall(func(in *Install) { tc.set(in, v) }).Validate(); err != nil {
				t.Errorf("%s %q refused: %v", tc.field, v, err)
			}
		}
		for _, v := range tc.bad {
			err := withInstall(func(in *Install) { tc.set(in, v) }).Validate()
			if err == nil || !strings.Contains(err.Error(), tc.field+": ") {
				t.Errorf("%s %q: error %v, want one naming the field", tc.field, v, err)
			}
		}
	}
}

// TestKeymapsOfUForge: every keymap the API accepts (uforge.xsd's list) is
// one the spec accepts, so the API never stores a profile that cannot build.
func TestKeymapsOfUForge(t *testing.T) {
	for _, k := range []string{"ar-azerty", "ar-azerty-digits", "bg-bds-utf8", "cz-us-qwertz", "de-latin1-nodeadkeys", "fr-ch-latin1",
		"hu101", "it2", "pl2", "ro-std-cedilla", "tml-inscript", "us-acentos", "uk", "sr-cy"} {
		if !uforge.ValidKeyboard(k) {
			t.Fatalf("%q is not in uforge.xsd's keymaps: the list below is stale", k)
		}
		if !validKeymap(k) {
			t.Errorf("uforge.xsd keymap %q is refused by the spec", k)
		}
	}
}

// TestParseRefusesWhatValidateRefuses: the build reads its spec with Parse,
// which says the same as Validate at the API.
func TestParseRefusesWhatValidateRefuses(t *testing.T) {
	_, err := Parse([]byte("distribution: {release: \"12\"}\ninstall: {timezone: Mars/Olympus}\noutput: {format: raw}\n"))
	want := withInstall(func(in *Install) { in.Timezone = "Mars/Olympus" }).Validate()
	if err == nil || want == nil || err.Error() != want.Error() {
		t.Fatalf("Parse: %v; Validate: %v; want the same refusal", err, want)
	}
}

// TestPartitionSizesCannotOverflow: sizes are bounded before they are
// added, so huge ones cannot wrap around to a total that fits.
func TestPartitionSizesCannotOverflow(t *testing.T) {
	huge := int64(1) << 62
	for name, parts := range map[string][]Partition{
		"wrapping sum": {{MountPoint: "/", SizeMB: huge}, {MountPoint: "/var", SizeMB: huge}, {MountPoint: "/srv", SizeMB: huge}},
		"max int64":    {{MountPoint: "/", SizeMB: 1<<63 - 1}, {MountPoint: "/var", SizeMB: 1}},
		"negative":     {{MountPoint: "/", Grow: true, SizeMB: -huge}, {MountPoint: "/var", SizeMB: huge}},
	} {
		err := withInstall(func(in *Install) { in.Disk.Partitions = parts }).Validate()
		if err == nil || !strings.Contains(err.Error(), "is not a partition size") {
			t.Errorf("%s: error %v, want the size refused", name, err)
		}
	}
	many := make([]Partition, 129)
	for i := range many {
		many[i] = Partition{MountPoint: fmt.Sprintf("/p%d", i), SizeMB: 1}
	}
	if err := withInstall(func(in *Install) { in.Disk.SizeMB = 4096; in.Disk.Partitions = many }).Validate(); err == nil ||
		!strings.Contains(err.Error(), "more than a partition table holds") {
		t.Errorf("129 partitions: %v", err)
	}
	if err := withInstall(func(in *Install) { in.Disk.SwapMB = 1<<63 - 1 }).Validate(); err == nil || !strings.Contains(err.Error(), "swapMB") {
		t.Errorf("huge swap: %v", err)
	}
}
