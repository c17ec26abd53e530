package record

import "time"

// ScanReport is the inventory of one scanned system: what the scan agent
// (internal/scan) uploads and the service stores with the scan. The overlay is
// streamed separately; its counts are recorded in Overlay by the caller once
// it has streamed it.
type ScanReport struct {
	AgentVersion string           `json:"agentVersion,omitempty"`
	ScannedAt    time.Time        `json:"scannedAt"`
	Root         string           `json:"root"` // the scanned root on the agent's host
	Live         bool             `json:"live"` // root was "/": the running system
	Hostname     string           `json:"hostname,omitempty"`
	Distribution ScanDistribution `json:"distribution"`
	Packages     []ScanPackage    `json:"packages"`
	Profile      ScanProfile      `json:"profile"`
	Overlay      *OverlayStats    `json:"overlay,omitempty"`
	// Warnings are the parts of the system the scan could not read or
	// understand (an unreadable shadow, an odd fstab line): the report is
	// complete except for them.
	Warnings []string `json:"warnings,omitempty"`
}

// ScanDistribution identifies the scanned system, from os-release(5) and dpkg.
type ScanDistribution struct {
	ID         string   `json:"id"`                   // os-release ID: "debian"
	IDLike     []string `json:"idLike,omitempty"`     // os-release ID_LIKE
	VersionID  string   `json:"versionId"`            // "12"; derived from the codename on testing
	Codename   string   `json:"codename,omitempty"`   // "bookworm"
	PrettyName string   `json:"prettyName,omitempty"` // "Debian GNU/Linux 12 (bookworm)"
	Arch       string   `json:"arch"`                 // dpkg architecture: "amd64"
}

// ScanPackage is one package installed on the scanned system.
type ScanPackage struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Arch    string `json:"arch"`
	// InstalledSizeKB is dpkg's Installed-Size estimate, in KiB.
	InstalledSizeKB int64 `json:"installedSizeKB,omitempty"`
	// Auto is set for packages apt installed as dependencies (extended_states
	// "Auto-Installed: 1"): a rebuild may request only the others and let apt
	// resolve the rest.
	Auto bool `json:"auto,omitempty"`
}

// ScanProfile is the install profile found on the scanned system: what the
// image build configures rather than copies (scan.Install maps it onto
// spec.Install).
type ScanProfile struct {
	Hostname         string   `json:"hostname,omitempty"`
	RootPasswordHash string   `json:"rootPasswordHash,omitempty"` // as in /etc/shadow ("!…" or "*" = locked)
	RootSSHKeys      []string `json:"rootSshKeys,omitempty"`
	// Users and Groups are every account of the system, system ones included
	// (flagged System), root too.
	Users    []ScanUser  `json:"users,omitempty"`
	Groups   []ScanGroup `json:"groups,omitempty"`
	Timezone string      `json:"timezone,omitempty"` // "Europe/Paris"
	Keyboard string      `json:"keyboard,omitempty"` // XKBLAYOUT: "fr"
	Locale   string      `json:"locale,omitempty"`   // LANG: "en_US.UTF-8"
	Kernel   []string    `json:"kernelParameters,omitempty"`
	// KernelDropped are the parameters of the source's command line left out
	// of Kernel because they belong to its old boot loader or platform, each
	// with the reason (scan's droppedParameters table).
	KernelDropped []DroppedParameter `json:"kernelParametersDropped,omitempty"`
	// Filesystems are the fstab entries with a mount point (swap apart).
	Filesystems []ScanFilesystem `json:"filesystems,omitempty"`
	Swap        []ScanSwap       `json:"swap,omitempty"`
	SwapBytes   int64            `json:"swapBytes,omitempty"`
	Network     []ScanInterface  `json:"network,omitempty"`
	// Services are the systemd units enabled by the administrator or the packages
	// (links in /etc/systemd/system/*.wants), sorted, without duplicates.
	Services []string `json:"services,omitempty"`
}

// DroppedParameter is one kernel parameter a scan did not carry over.
type DroppedParameter struct {
	Parameter string `json:"parameter"`
	Reason    string `json:"reason"`
}

// ScanUser is one account of /etc/passwd with its shadow password and SSH keys.
type ScanUser struct {
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

// ScanGroup is one group of /etc/group.
type ScanGroup struct {
	Name    string   `json:"name"`
	GID     int      `json:"gid"`
	Members []string `json:"members,omitempty"`
	System  bool     `json:"system,omitempty"` // gid < 1000 or ≥ 65534
}

// ScanFilesystem is one fstab mount. Sizes are 0 when unknown: on a live scan
// they come from statfs of each mounted filesystem; offline, only "/" is
// measured (statfs of the scanned root).
type ScanFilesystem struct {
	Device     string `json:"device"` // fstab's first field: "UUID=…", "/dev/sda1"
	MountPoint string `json:"mountPoint"`
	FSType     string `json:"fsType"`
	Options    string `json:"options,omitempty"`
	SizeBytes  int64  `json:"sizeBytes,omitempty"`
	UsedBytes  int64  `json:"usedBytes,omitempty"`
}

// ScanSwap is one swap area: from /proc/swaps on a live scan, else from fstab.
type ScanSwap struct {
	Source    string `json:"source"` // device, "UUID=…" or file path
	File      bool   `json:"file,omitempty"`
	SizeBytes int64  `json:"sizeBytes,omitempty"`
}

// ScanInterface is the configuration of one network interface, as one
// configuration system (ifupdown, systemd-networkd, NetworkManager) describes it.
type ScanInterface struct {
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

// OverlayStats counts what the scan agent's overlay walk examined and emitted
// (internal/scan's Overlay).
type OverlayStats struct {
	Walked   int64 `json:"walked"`   // entries examined
	Entries  int64 `json:"entries"`  // entries emitted
	Files    int64 `json:"files"`    // regular files emitted (hard links apart)
	Bytes    int64 `json:"bytes"`    // their total size
	Added    int64 `json:"added"`    // emitted as added (no package provides them)
	Modified int64 `json:"modified"` // emitted as modified package files
	Excluded int64 `json:"excluded"` // subtrees left out on purpose (defaults, excludes, swap, foreign mounts)
	Skipped  int64 `json:"skipped"`  // entries left out because unreadable or not archivable
	// Untouched are package files taken as installed without reading them:
	// their inode has not changed since dpkg installed them.
	Untouched int64 `json:"untouched"`
}
