package spec

import (
	"errors"
	"fmt"
	"path"
	"regexp"
	"strings"
	"unicode"

	"github.com/kilnhq/kiln/internal/debian"
)

// Codename returns the Debian codename of a supported release number ("12" →
// "bookworm"). The releases are internal/debian's.
func Codename(release string) (string, bool) {
	r, ok := debian.ByNumber(release)
	if !ok || r.Status != debian.Supported {
		return "", false
	}
	return r.Codename, true
}

// supportedRelease returns the number of the supported release named by its
// number or codename (any case).
func supportedRelease(name string) (string, bool) {
	r, ok := debian.Lookup(name)
	if !ok || r.Status != debian.Supported {
		return "", false
	}
	return r.Number, true
}

// supportedNumbers lists the supported release numbers: "11, 12, 13".
func supportedNumbers() string {
	var nums []string
	for _, r := range debian.SupportedReleases() {
		nums = append(nums, r.Number)
	}
	return strings.Join(nums, ", ")
}

// MinDiskMB is the smallest disk a Debian image with a kernel fits on.
const MinDiskMB = 1024

var (
	pkgNameRe  = regexp.MustCompile(`^[a-z0-9][a-z0-9+.-]+$`)
	pkgVerRe   = regexp.MustCompile(`^[A-Za-z0-9.+~:-]+$`)
	hostnameRe = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$`)
	userNameRe = regexp.MustCompile(`^[a-z_][a-z0-9_-]{0,31}$`)
	// scannedNameRe is what packages create with useradd --badname
	// (Debian-exim, Debian-snmp): accepted for accounts recreated from a
	// scan, which Kiln only writes into the account files.
	scannedNameRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9._-]{0,31}$`)
	dsRe          = regexp.MustCompile(`^[A-Z][A-Za-z0-9]{1,31}$`)
	mountRe       = regexp.MustCompile(`^/([A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*)?$`)
)

// Validate checks the spec and normalises the release spelling. Each problem is
// named with the field it comes from.
func (s *Spec) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...)))
	}
	if s.Version != Version {
		bad("version", "unsupported spec version %d (this Kiln reads %d)", s.Version, Version)
	}
	if s.Distribution.Name != "debian" {
		bad("distribution.name", "%q is not supported (supported: debian)", s.Distribution.Name)
	}
	if rel, ok := supportedRelease(s.Distribution.Release); ok {
		s.Distribution.Release = rel
	} else {
		bad("distribution.release", "%q is not supported (supported: %s)", s.Distribution.Release, supportedNumbers())
	}
	if s.Distribution.Arch != "amd64" {
		bad("distribution.arch", "%q is not supported (supported: amd64)", s.Distribution.Arch)
	}
	switch s.Distribution.Variant {
	case "", "minbase", "important", "standard":
	default:
		bad("distribution.variant", "%q is not one of minbase, important, standard", s.Distribution.Variant)
	}
	for i, p := range s.Packages {
		if !pkgNameRe.MatchString(p.Name) {
			bad(fmt.Sprintf("packages[%d].name", i), "%q is not a valid Debian package name", p.Name)
		}
		if p.Version != "" && !pkgVerRe.MatchString(p.Version) {
			bad(fmt.Sprintf("packages[%d].version", i), "%q is not a valid Debian version", p.Version)
		}
	}
	in := &s.Install
	if !hostnameRe.MatchString(in.Hostname) || len(in.Hostname) > 253 {
		bad("install.hostname", "%q is not a valid hostname", in.Hostname)
	}
	if !validZone(in.Timezone) {
		bad("install.timezone", "%q is not a time zone of the tz database (Area/Location, such as Europe/Paris)", in.Timezone)
	}
	if !validKeymap(in.Keyboard) {
		bad("install.keyboard", "%q is not a console keymap (a layout and variants, such as fr or fr-latin9)", in.Keyboard)
	}
	if !validLocale(in.Locale) {
		bad("install.locale", "%q is not a locale glibc supports (such as en_US.UTF-8, or C.UTF-8)", in.Locale)
	}
	cmdline := 0
	for i, p := range in.KernelParameters {
		if p == "" || strings.ContainsAny(p, " \t\r\n\"'\\") || hasControl(p) {
			bad(fmt.Sprintf("install.kernelParameters[%d]", i), "%q must be one word without quotes or control characters", p)
		}
		cmdline += len(p) + 1
	}
	if cmdline > maxKernelParams {
		bad("install.kernelParameters", "%d bytes: the kernel command line holds %d", cmdline, maxKernelParams)
	}
	for i, k := range in.RootSSHKeys {
		checkSSHKey(bad, fmt.Sprintf("install.rootSshKeys[%d]", i), k)
	}
	groups := map[string]bool{}
	for i, g := range in.Groups {
		f := fmt.Sprintf("install.groups[%d]", i)
		if !nameRe(g.IfMissing).MatchString(g.Name) {
			bad(f+".name", "%q is not a valid group name", g.Name)
		}
		if g.GID < 0 || g.GID > 65533 {
			bad(f+".gid", "%d is out of range", g.GID)
		}
		if g.IfMissing && g.GID == 0 {
			bad(f+".gid", "a group recreated if missing needs its gid")
		}
		if groups[g.Name] {
			bad(f+".name", "%q is listed twice", g.Name)
		}
		groups[g.Name] = true
	}
	users := map[string]bool{}
	for i, u := range in.Users {
		f := fmt.Sprintf("install.users[%d]", i)
		if !nameRe(u.IfMissing).MatchString(u.Name) || u.Name == "root" {
			bad(f+".name", "%q is not a valid user name", u.Name)
		}
		if users[u.Name] {
			bad(f+".name", "%q is listed twice", u.Name)
		}
		users[u.Name] = true
		if u.UID < 0 || u.UID > 65533 {
			bad(f+".uid", "%d is out of range", u.UID)
		}
		if u.IfMissing && u.UID == 0 {
			bad(f+".uid", "an account recreated if missing needs its uid")
		}
		switch {
		case u.Home != "" && u.IfMissing:
			// Never made by Kiln (the overlay carries it): only written into
			// /etc/passwd, where /run/sshd or /nonexistent are ordinary homes.
			if !path.IsAbs(u.Home) || strings.Contains(u.Home, ":") || hasControl(u.Home) {
				bad(f+".home", "%q is not an absolute path without ':' or control characters", u.Home)
			}
		case u.Home != "":
			checkTreePath(bad, f+".home", u.Home)
		}
		if u.Shell != "" && !validShell(u.Shell) {
			bad(f+".shell", "%q is not a shell: an absolute path under /bin, /sbin, /usr/bin, /usr/sbin or /usr/local/bin", u.Shell)
		}
		if strings.ContainsAny(u.FullName, ":") || hasControl(u.FullName) {
			bad(f+".fullName", "must not contain ':' or control characters")
		}
		if len(u.FullName) > maxFullName {
			bad(f+".fullName", "%d bytes is longer than %d", len(u.FullName), maxFullName)
		}
		if u.PrimaryGroup != "" && !nameRe(u.IfMissing).MatchString(u.PrimaryGroup) {
			bad(f+".primaryGroup", "%q is not a valid group name", u.PrimaryGroup)
		}
		for j, g := range u.Groups {
			if !nameRe(u.IfMissing).MatchString(g) {
				bad(fmt.Sprintf("%s.groups[%d]", f, j), "%q is not a valid group name", g)
			}
		}
		if strings.ContainsAny(u.PasswordHash, ":\n") {
			bad(f+".passwordHash", "must not contain ':' or newlines")
		}
		for j, k := range u.SSHKeys {
			checkSSHKey(bad, fmt.Sprintf("%s.sshKeys[%d]", f, j), k)
		}
	}
	if strings.ContainsAny(in.RootPasswordHash, ":\n") {
		bad("install.rootPasswordHash", "must not contain ':' or newlines")
	}
	validateDisk(bad, &in.Disk)
	switch in.Network.Mode {
	case "dhcp", "static":
	default:
		bad("install.network.mode", "%q is not dhcp or static", in.Network.Mode)
	}
	if in.Network.Mode == "static" && in.Network.Address == "" {
		bad("install.network.address", "a static network needs an address")
	}
	if ci := in.CloudInit; ci != nil {
		if len(ci.Datasources) == 0 {
			bad("install.cloudInit.datasources", "needs at least one datasource")
		}
		for i, d := range ci.Datasources {
			if !dsRe.MatchString(d) || d == "None" {
				bad(fmt.Sprintf("install.cloudInit.datasources[%d]", i), "%q is not a cloud-init datasource name (None is always added)", d)
			}
		}
	}
	if o := s.Overlay; o != nil && (o.Key == "" || len(o.SHA256) != 64 || o.Size <= 0) {
		bad("overlay", "needs a key, a size and a SHA-256")
	}
	if strings.TrimSpace(s.Output.Format) == "" {
		bad("output.format", "is required")
	}
	if s.Output.MemoryMB < 0 || s.Output.MemoryMB > MaxMemoryMB {
		bad("output.memoryMB", "%d MB is out of range (0 to %d)", s.Output.MemoryMB, MaxMemoryMB)
	}
	return errors.Join(errs...)
}

// Limits of install-profile values that end up in files of the image.
const (
	// maxKernelParams is the x86 kernel's command line size (COMMAND_LINE_SIZE):
	// Linux silently truncates what is longer.
	maxKernelParams = 2048
	maxFullName     = 256 // the GECOS field of passwd
	// MaxMemoryMB is the most memory a packaging may declare: 4 TiB, beyond
	// any hypervisor's limit.
	MaxMemoryMB = 4 << 20
)

// hasControl reports whether s holds a control character (NUL, newline, …):
// none belongs in a line of passwd, grub.cfg or authorized_keys.
func hasControl(s string) bool {
	return strings.IndexFunc(s, unicode.IsControl) >= 0
}

// shellDirs are where Debian packages install login shells.
var shellDirs = []string{"/bin/", "/sbin/", "/usr/bin/", "/usr/sbin/", "/usr/local/bin/"}

// validShell accepts a clean absolute path under a directory shells live in.
func validShell(sh string) bool {
	if !mountRe.MatchString(sh) || path.Clean(sh) != sh {
		return false
	}
	for _, d := range shellDirs {
		if strings.HasPrefix(sh, d) && !strings.Contains(sh[len(d):], "/") {
			return true
		}
	}
	return false
}

// MaxDiskMB is the largest disk, and so the largest partition: 16 TiB.
const MaxDiskMB = 16 << 20

// maxPartitions is what a GPT partition table holds.
const maxPartitions = 128

func validateDisk(bad func(string, string, ...any), d *Disk) {
	if d.SizeMB < MinDiskMB {
		bad("install.disk.sizeMB", "%d MiB is too small (minimum %d)", d.SizeMB, MinDiskMB)
	}
	if d.SizeMB > MaxDiskMB {
		bad("install.disk.sizeMB", "%d MiB is too large (maximum 16 TiB)", d.SizeMB)
	}
	swapOK := d.SwapMB >= 0 && (d.SwapMB == 0 || d.SwapMB < d.SizeMB/2)
	if !swapOK {
		bad("install.disk.swapMB", "%d MiB must be between 0 and half the disk", d.SwapMB)
	}
	if len(d.Partitions) > maxPartitions {
		bad("install.disk.partitions", "%d partitions, more than a partition table holds (%d)", len(d.Partitions), maxPartitions)
		return
	}
	// Every size is bounded before any is added: at most 128 sizes of at
	// most 16 TiB cannot overflow the sum, which a few huge ones would,
	// wrapping to a small number that fits any disk.
	var fixed int64
	sizesOK := swapOK
	mounts := map[string]bool{}
	grow := 0
	for i, p := range d.Partitions {
		if p.SizeMB < 0 || p.SizeMB > MaxDiskMB {
			bad(fmt.Sprintf("install.disk.partitions[%d].sizeMB", i), "%d MiB is not a partition size (0 to 16 TiB)", p.SizeMB)
			sizesOK = false
		}
		f := fmt.Sprintf("install.disk.partitions[%d]", i)
		switch p.FSType {
		case "", "ext4", "ext3", "ext2", "xfs":
			checkTreePath(bad, f+".mountPoint", p.MountPoint)
			if mounts[p.MountPoint] {
				bad(f+".mountPoint", "%q is used twice", p.MountPoint)
			}
			mounts[p.MountPoint] = true
		case "linux-swap", "swap":
		default:
			bad(f+".fsType", "%q is not supported (ext4, ext3, ext2, xfs, linux-swap)", p.FSType)
		}
		if p.Grow {
			grow++
		} else if p.SizeMB == 0 {
			bad(f+".sizeMB", "a partition that does not grow needs a size")
		}
		fixed += p.SizeMB
	}
	if grow > 1 {
		bad("install.disk.partitions", "only one partition may grow")
	}
	if sizesOK && len(d.Partitions) > 0 && fixed+d.SwapMB+Overhead() > d.SizeMB {
		bad("install.disk.partitions", "partitions (%d MiB) and swap do not fit on a %d MiB disk", fixed, d.SizeMB)
	}
}

// outsideDirs are where a Debian system keeps symlinks out of the tree
// (var/run -> /run, var/lock -> /run/lock) or mounts filesystems of its own at
// boot (/run, /proc, /sys, /dev): a home or a mount point there would be made
// somewhere else at build time, and hidden or lost at boot. The build checks
// homes and mount points against the tree itself (internal/treefs); these are
// refused at once.
var outsideDirs = []string{"/var/run", "/var/lock", "/run", "/proc", "/sys", "/dev"}

// CheckTreePath checks a directory a tenant names in the image (a home, a
// mount point): absolute, clean (no "." or ".." component: what a path means
// must not depend on the links it crosses), and not under outsideDirs.
func CheckTreePath(p string) error {
	if !mountRe.MatchString(p) {
		return fmt.Errorf("%q is not an absolute path", p)
	}
	if path.Clean(p) != p {
		return fmt.Errorf("%q has a \".\" or \"..\" component", p)
	}
	for _, d := range outsideDirs {
		if p == d || strings.HasPrefix(p, d+"/") {
			return fmt.Errorf("%q is under %s, a symlink or a filesystem of its own in a Debian system", p, d)
		}
	}
	return nil
}

// nameRe is the rule for an account or group name: the strict one, or the
// one packages use when the account is recreated from a scan.
func nameRe(scanned bool) *regexp.Regexp {
	if scanned {
		return scannedNameRe
	}
	return userNameRe
}

func checkTreePath(bad func(string, string, ...any), field, p string) {
	if err := CheckTreePath(p); err != nil {
		bad(field, "%v", err)
	}
}

// Overhead is the space in MiB the fixed partitions take (alignment, BIOS boot, ESP, GPT backup).
func Overhead() int64 { return 1 + 1 + 64 + 1 }

func checkSSHKey(bad func(string, string, ...any), field, key string) {
	f := strings.Fields(key)
	if len(f) < 2 || strings.ContainsAny(key, "\r\n") ||
		!(strings.HasPrefix(f[0], "ssh-") || strings.HasPrefix(f[0], "ecdsa-") || strings.HasPrefix(f[0], "sk-")) {
		bad(field, "is not an OpenSSH public key (\"ssh-ed25519 AAAA… comment\")")
	}
}
