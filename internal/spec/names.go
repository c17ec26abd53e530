package spec

import (
	_ "embed"
	"regexp"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // zone names are checked against Go's copy of the tz database when the host has none
)

// The install profile's names (time zone, keymap, locale) end up as paths
// and file contents inside the image, and a name the image's packages do not
// know fails a build minutes in: they are checked here, where the API and the
// build both validate a spec, against what Debian ships.

var (
	// zoneRe is the shape of an IANA zone name: Area/Location components,
	// each starting with a capital ("Europe/Paris", "Etc/GMT+5", "UTC");
	// nothing that could climb out of /usr/share/zoneinfo or name one of its
	// other files (posixrules, right/…, zone.tab).
	zoneRe = regexp.MustCompile(`^[A-Z][A-Za-z0-9_+-]*(/[A-Z][A-Za-z0-9_+-]*){0,2}$`)
	// keymapRe is a console keymap: a layout, then variants ("fr",
	// "fr-latin9", "de-latin1-nodeadkeys", "jp106"), as uforge.xsd lists them.
	keymapRe = regexp.MustCompile(`^[a-z][a-z0-9]{0,15}(-[a-z0-9_]{1,32}){0,3}$`)
)

// validZone reports whether name is a zone of the tz database (tzdata in a
// Debian tree has the same zones; Debian 13 moved the legacy aliases, such
// as US/Eastern, to tzdata-legacy).
func validZone(name string) bool {
	if len(name) > 64 || !zoneRe.MatchString(name) || name == "Local" {
		return false
	}
	_, err := time.LoadLocation(name)
	return err == nil
}

func validKeymap(name string) bool { return keymapRe.MatchString(name) }

//go:embed locales.supported
var supportedList string

// supportedLocales are the locale names glibc can generate (the first
// field of each line of SUPPORTED), read once.
var supportedLocales = sync.OnceValue(func() map[string]bool {
	set := map[string]bool{}
	for _, line := range strings.Split(supportedList, "\n") {
		if f := strings.Fields(line); len(f) == 2 && !strings.HasPrefix(f[0], "#") {
			set[f[0]] = true
		}
	}
	return set
})

// validLocale reports whether name is C, POSIX or a locale glibc supports:
// internal/configure generates it from the tree's own copy of that list.
func validLocale(name string) bool {
	switch name {
	case "C", "POSIX", "C.UTF-8", "C.utf8":
		return true
	}
	return supportedLocales()[name]
}
