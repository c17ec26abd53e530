package debian

import (
	"strings"
	"time"
)

// Status is what Kiln does with a release.
type Status uint8

const (
	// Unsupported releases are recognised by name (in apt sources and
	// os-release files) but not built, scanned or rebuilt.
	Unsupported Status = iota
	// Supported releases are those Kiln builds images of, scans and rebuilds.
	Supported
)

// Release is one Debian release.
type Release struct {
	Number   string    // "12"; empty for sid, which never gets one
	Codename string    // "bookworm"
	Released time.Time // first stable release (UTC); zero when not released yet
	Status   Status

	// dhcpClient is the release's own default DHCP client: the one of
	// Priority important, which a standard installation has (BootPackages).
	dhcpClient string
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// releases are the Debian releases by age, oldest first. Squeeze is the
// oldest whose codename apt sources may still name; sid is unstable.
var releases = []Release{
	{Number: "6", Codename: "squeeze", Released: date(2011, time.February, 6)},
	{Number: "7", Codename: "wheezy", Released: date(2013, time.May, 4)},
	{Number: "8", Codename: "jessie", Released: date(2015, time.April, 25)},
	{Number: "9", Codename: "stretch", Released: date(2017, time.June, 17)},
	{Number: "10", Codename: "buster", Released: date(2019, time.July, 6)},
	{Number: "11", Codename: "bullseye", Released: date(2021, time.August, 14), Status: Supported, dhcpClient: "isc-dhcp-client"},
	{Number: "12", Codename: "bookworm", Released: date(2023, time.June, 10), Status: Supported, dhcpClient: "isc-dhcp-client"},
	{Number: "13", Codename: "trixie", Released: date(2025, time.August, 9), Status: Supported, dhcpClient: "dhcpcd-base"},
	{Number: "14", Codename: "forky"},
	{Number: "15", Codename: "duke"},
	{Codename: "sid"},
}

// suiteAliases are the archive's suite names that are not a release's
// codename: the moving aliases and experimental.
var suiteAliases = []string{"oldoldstable", "oldstable", "stable", "testing", "unstable", "experimental"}

// Releases returns every release the package knows, oldest first.
func Releases() []Release { return append([]Release(nil), releases...) }

// SupportedReleases returns the releases Kiln builds, oldest first.
func SupportedReleases() []Release {
	var out []Release
	for _, r := range releases {
		if r.Status == Supported {
			out = append(out, r)
		}
	}
	return out
}

// SupportedList names the supported releases by number the way a sentence
// lists them: "11, 12 and 13".
func SupportedList() string {
	var nums []string
	for _, r := range SupportedReleases() {
		nums = append(nums, r.Number)
	}
	if len(nums) < 2 {
		return strings.Join(nums, "")
	}
	return strings.Join(nums[:len(nums)-1], ", ") + " and " + nums[len(nums)-1]
}

// ByNumber finds a release by its number ("12").
func ByNumber(number string) (Release, bool) {
	for _, r := range releases {
		if r.Number != "" && r.Number == number {
			return r, true
		}
	}
	return Release{}, false
}

// ByCodename finds a release by its codename, in any case ("bookworm",
// "Bookworm"): people type them.
func ByCodename(codename string) (Release, bool) {
	for _, r := range releases {
		if strings.EqualFold(r.Codename, codename) {
			return r, true
		}
	}
	return Release{}, false
}

// Lookup finds a release by number or codename (any case), as a user or a
// build spec names it. Whether Kiln builds it is the release's Status.
func Lookup(release string) (Release, bool) {
	if r, ok := ByNumber(release); ok {
		return r, true
	}
	return ByCodename(release)
}

// IsArchiveSuite reports whether suite names a suite of the Debian archive:
// a release's codename or an alias such as "stable" or "unstable". Suites are
// paths on the mirror (dists/<suite>), so they match exactly, in lower case.
func IsArchiveSuite(suite string) bool {
	for _, r := range releases {
		if r.Codename == suite {
			return true
		}
	}
	for _, a := range suiteAliases {
		if a == suite {
			return true
		}
	}
	return false
}
