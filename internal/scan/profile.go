package scan

import (
	"context"
	"fmt"
)

// Profile is the install profile found on the scanned system: what the image
// build configures rather than copies. Install maps it onto spec.Install.
type Profile struct {
	Hostname         string   `json:"hostname,omitempty"`
	RootPasswordHash string   `json:"rootPasswordHash,omitempty"` // as in /etc/shadow ("!…" or "*" = locked)
	RootSSHKeys      []string `json:"rootSshKeys,omitempty"`
	// Users and Groups are every account of the system, system ones included
	// (flagged System), root too.
	Users    []User   `json:"users,omitempty"`
	Groups   []Group  `json:"groups,omitempty"`
	Timezone string   `json:"timezone,omitempty"` // "Europe/Paris"
	Keyboard string   `json:"keyboard,omitempty"` // XKBLAYOUT: "fr"
	Locale   string   `json:"locale,omitempty"`   // LANG: "en_US.UTF-8"
	Kernel   []string `json:"kernelParameters,omitempty"`
	// Filesystems are the fstab entries with a mount point (swap apart).
	Filesystems []Filesystem `json:"filesystems,omitempty"`
	Swap        []Swap       `json:"swap,omitempty"`
	SwapBytes   int64        `json:"swapBytes,omitempty"`
	Network     []Interface  `json:"network,omitempty"`
	// Services are the systemd units enabled by the administrator or the packages
	// (links in /etc/systemd/system/*.wants), sorted, without duplicates.
	Services []string `json:"services,omitempty"`
}

// User is one account of /etc/passwd with its shadow password and SSH keys.
type User struct {
	Name         string   `json:"name"`
	UID          int      `json:"uid"`
	GID          int      `json:"gid"`
	PrimaryGroup string   `json:"primaryGroup,omitempty"`
	Groups       []string `json:"groups,omitempty"`   // supplementary groups, sorted
	FullName     string   `json:"fullName,omitempty"` // first GECOS field
	Gecos        string   `json:"gecos,omitempty"`    // the whole GECOS field
	Home         string   `json:"home,omitempty"`
	Shell        string   `json:"shell,omitempty"`
	PasswordHash string   `json:"passwordHash,omitempty"`
	SSHKeys      []string `json:"sshKeys,omitempty"`
	// System accounts (uid < 1000, or nobody's 65534 and above) are created by
	// packages; a rebuild recreates them by installing the same packages.
	System bool `json:"system,omitempty"`
}

// Group is one group of /etc/group.
type Group struct {
	Name    string   `json:"name"`
	GID     int      `json:"gid"`
	Members []string `json:"members,omitempty"`
	System  bool     `json:"system,omitempty"` // gid < 1000 or ≥ 65534
}

// Filesystem is one fstab mount. Sizes are 0 when unknown: on a live scan they
// come from statfs of each mounted filesystem; offline, only "/" is measured
// (statfs of the scanned root).
type Filesystem struct {
	Device     string `json:"device"` // fstab's first field: "UUID=…", "/dev/sda1"
	MountPoint string `json:"mountPoint"`
	FSType     string `json:"fsType"`
	Options    string `json:"options,omitempty"`
	SizeBytes  int64  `json:"sizeBytes,omitempty"`
	UsedBytes  int64  `json:"usedBytes,omitempty"`
}

// Swap is one swap area: from /proc/swaps on a live scan, else from fstab.
type Swap struct {
	Source    string `json:"source"` // device, "UUID=…" or file path
	File      bool   `json:"file,omitempty"`
	SizeBytes int64  `json:"sizeBytes,omitempty"`
}

// Interface is the configuration of one network interface, as one configuration
// system (ifupdown, systemd-networkd, NetworkManager) describes it.
type Interface struct {
	Name string `json:"name"` // "eth0"; networkd may give a pattern ("en*")
	// Source is "ifupdown", "networkd" or "networkmanager"; File the configuration
	// file it was read from.
	Source string `json:"source"`
	File   string `json:"file"`
	// Method is the IPv4 configuration: "dhcp", "static", or what the source
	// calls it otherwise ("manual", "disabled", "link-local" …); Method6 likewise
	// for IPv6 ("auto", "dhcp", "static" …), empty when not configured.
	Method    string   `json:"method,omitempty"`
	Method6   string   `json:"method6,omitempty"`
	Addresses []string `json:"addresses,omitempty"` // CIDR, both families
	Gateway   string   `json:"gateway,omitempty"`
	Gateway6  string   `json:"gateway6,omitempty"`
	DNS       []string `json:"dns,omitempty"`
}

// notes collects the non-fatal problems of an inventory for the report: what the
// scan could not read is as important to the user as what it found.
type notes struct{ list []string }

func (n *notes) add(format string, args ...any) {
	n.list = append(n.list, fmt.Sprintf(format, args...))
}

// readProfile reads the install profile. Problems with one part (an unreadable
// shadow, an odd fstab line) become notes; only a cancelled context fails it.
func readProfile(ctx context.Context, t *tree, n *notes) (Profile, error) {
	var p Profile
	p.Hostname = readHostname(t, n)
	readAccounts(t, &p, n)
	p.Timezone = readTimezone(t, n)
	p.Keyboard = readKeyboard(t, n)
	p.Locale = readLocale(t, n)
	p.Kernel = readKernelParameters(t, n)
	p.Filesystems, p.Swap = readFilesystems(t, n)
	for _, s := range p.Swap {
		p.SwapBytes += s.SizeBytes
	}
	if err := ctx.Err(); err != nil {
		return p, err
	}
	p.Network = readNetwork(t, n)
	p.Services = readServices(t, n)
	return p, ctx.Err()
}
