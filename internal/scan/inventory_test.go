package scan

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kilnhq/kiln/internal/record"
	"github.com/kilnhq/kiln/internal/spec"
)

var scanTime = time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)

func inventory(t *testing.T, root string) *record.ScanReport {
	t.Helper()
	r, err := Inventory(context.Background(), root, InventoryOptions{
		AgentVersion: "kiln-test",
		Now:          func() time.Time { return scanTime },
	})
	if err != nil {
		t.Fatalf("Inventory: %v", err)
	}
	return r
}

func TestInventorySyntheticRoot(t *testing.T) {
	r := buildDebianRoot(t)
	got := inventory(t, r.dir)

	// Offline: "/" is measured with statfs of the scanned root.
	size, used := statfsSizes(r.dir)
	if size == 0 {
		t.Fatal("statfs of the test root gives no size")
	}
	want := &record.ScanReport{
		AgentVersion: "kiln-test",
		ScannedAt:    scanTime,
		Root:         r.dir,
		Live:         false,
		Hostname:     "web01",
		Distribution: record.ScanDistribution{
			ID: "debian", VersionID: "12", Codename: "bookworm",
			PrettyName: "Debian GNU/Linux 12 (bookworm)", Arch: "amd64",
		},
		Packages: []record.ScanPackage{
			{Name: "base-files", Version: "12.4+deb12u5", Arch: "amd64", InstalledSizeKB: 100},
			{Name: "bash", Version: "5.2.15-2", Arch: "amd64", InstalledSizeKB: 100},
			{Name: "coreutils", Version: "9.1-1", Arch: "amd64", InstalledSizeKB: 100},
			{Name: "dash", Version: "0.5.12-2", Arch: "amd64", InstalledSizeKB: 100},
			{Name: "libfoo1", Version: "2.0-1", Arch: "amd64", InstalledSizeKB: 2048, Auto: true},
			{Name: "openssh-server", Version: "1:9.2p1-2+deb12u3", Arch: "amd64", InstalledSizeKB: 100},
		},
		Profile: record.ScanProfile{
			Hostname:         "web01",
			RootPasswordHash: rootHash,
			RootSSHKeys:      []string{rootKey},
			Users: []record.ScanUser{
				{Name: "root", UID: 0, GID: 0, PrimaryGroup: "root", FullName: "root", Gecos: "root",
					Home: "/root", Shell: "/bin/bash", PasswordHash: rootHash, SSHKeys: []string{rootKey}, System: true},
				{Name: "daemon", UID: 1, GID: 1, PrimaryGroup: "daemon", FullName: "daemon", Gecos: "daemon",
					Home: "/usr/sbin", Shell: "/usr/sbin/nologin", PasswordHash: "*", System: true},
				{Name: "ops", UID: 1000, GID: 1000, PrimaryGroup: "ops", Groups: []string{"adm", "sudo"},
					FullName: "Ops Team", Gecos: "Ops Team,,,", Home: "/home/ops", Shell: "/bin/bash",
					PasswordHash: opsHash, SSHKeys: []string{opsKey, opsKeyOptions}},
				{Name: "nobody", UID: 65534, GID: 65534, PrimaryGroup: "nogroup", FullName: "nobody", Gecos: "nobody",
					Home: "/nonexistent", Shell: "/usr/sbin/nologin", PasswordHash: "*", System: true},
			},
			Groups: []record.ScanGroup{
				{Name: "root", GID: 0, System: true},
				{Name: "daemon", GID: 1, System: true},
				{Name: "adm", GID: 4, Members: []string{"ops"}, System: true},
				{Name: "sudo", GID: 27, Members: []string{"ops"}, System: true},
				{Name: "ops", GID: 1000},
				{Name: "nogroup", GID: 65534, System: true},
			},
			Timezone: "Europe/Paris",
			Keyboard: "fr",
			Locale:   "fr_FR.UTF-8",
			Kernel:   []string{"net.ifnames=0", "quiet"},
			KernelDropped: []record.DroppedParameter{
				{Parameter: "console=ttyS0,115200", Reason: whyConsole},
				{Parameter: "root=/dev/sda1", Reason: whyBootPlumbing},
				{Parameter: "ro", Reason: whyBootPlumbing},
			},
			Filesystems: []record.ScanFilesystem{
				{Device: "UUID=1111-aaaa", MountPoint: "/", FSType: "ext4", Options: "errors=remount-ro", SizeBytes: size, UsedBytes: used},
				{Device: "UUID=2222-BBBB", MountPoint: "/boot/efi", FSType: "vfat", Options: "umask=0077"},
			},
			Swap:      []record.ScanSwap{{Source: "/swapfile", File: true, SizeBytes: 4096}},
			SwapBytes: 4096,
			Network: []record.ScanInterface{
				{Name: "eth1", Source: "ifupdown", File: "/etc/network/interfaces.d/eth1", Method: "dhcp"},
				{Name: "eth0", Source: "ifupdown", File: "/etc/network/interfaces", Method: "static",
					Addresses: []string{"192.168.10.5/24"}, Gateway: "192.168.10.1", DNS: []string{"1.1.1.1", "9.9.9.9"}},
			},
			Services: []string{"ssh.service"},
		},
	}
	// used may move between the two statfs calls on a busy machine.
	if fs := got.Profile.Filesystems; len(fs) > 0 && fs[0].UsedBytes > 0 {
		want.Profile.Filesystems[0].UsedBytes = fs[0].UsedBytes
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("report (-want +got):\n%s", diff)
	}

	// The report is the agent's upload: it must survive JSON.
	data, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	var back record.ScanReport
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(got, &back); diff != "" {
		t.Errorf("JSON round trip (-before +after):\n%s", diff)
	}
}

func TestReportSpecValidates(t *testing.T) {
	r := buildDebianRoot(t)
	rep := inventory(t, r.dir)
	s := Spec(rep)
	if s.Distribution != (spec.Distribution{Name: "debian", Release: "12", Arch: "amd64"}) {
		t.Errorf("distribution %+v", s.Distribution)
	}
	if len(s.Packages) != 6 || s.Packages[5] != (spec.Package{Name: "openssh-server", Version: "1:9.2p1-2+deb12u3"}) {
		t.Errorf("packages %+v", s.Packages)
	}
	in := s.Install
	// System accounts (root and nobody apart) are recreated if missing, with
	// their ids, home, shell and hash as scanned.
	wantUsers := []spec.User{{
		Name: "daemon", FullName: "daemon", UID: 1, PrimaryGroup: "daemon", Home: "/usr/sbin",
		Shell: "/usr/sbin/nologin", PasswordHash: "*", System: true, IfMissing: true,
	}, {
		Name: "ops", FullName: "Ops Team", UID: 1000, PrimaryGroup: "ops", Groups: []string{"adm", "sudo"},
		Home: "/home/ops", Shell: "/bin/bash", PasswordHash: opsHash, SSHKeys: []string{opsKey},
	}}
	if diff := cmp.Diff(wantUsers, in.Users); diff != "" {
		t.Errorf("users (-want +got):\n%s", diff)
	}
	wantGroups := []spec.Group{
		{Name: "daemon", GID: 1, System: true, IfMissing: true},
		{Name: "adm", GID: 4, System: true, IfMissing: true},
		{Name: "sudo", GID: 27, System: true, IfMissing: true},
		{Name: "ops", GID: 1000},
	}
	if diff := cmp.Diff(wantGroups, in.Groups); diff != "" {
		t.Errorf("groups (-want +got):\n%s", diff)
	}
	wantNet := spec.Network{Mode: "static", Address: "192.168.10.5/24", Gateway: "192.168.10.1", DNS: []string{"1.1.1.1", "9.9.9.9"}}
	if diff := cmp.Diff(wantNet, in.Network); diff != "" {
		t.Errorf("network (-want +got):\n%s", diff)
	}
	if in.RootPasswordHash != rootHash || in.Timezone != "Europe/Paris" || in.Keyboard != "fr" || in.Locale != "fr_FR.UTF-8" || in.Disk.SwapMB != 1 {
		t.Errorf("install %+v", in)
	}
	// The statfs size of the test machine's disk stands in for the disk: cap it
	// so the spec validates whatever machine runs the test.
	s.Install.Disk.SizeMB = min(max(s.Install.Disk.SizeMB, spec.MinDiskMB), 8192)
	s.Output.Format = "qcow2"
	if err := s.Validate(); err != nil {
		t.Errorf("spec from a scan does not validate: %v", err)
	}
}

func TestInventoryWarnsInsteadOfFailing(t *testing.T) {
	r := buildDebianRoot(t)
	r.write("/etc/passwd", "root:x:0:0:root:/root:/bin/bash\nbroken line\nweird:x:notanumber:0::/:/bin/sh\n")
	r.write("/etc/fstab", "only-two fields\n")
	got := inventory(t, r.dir)
	if len(got.Profile.Users) != 1 || got.Profile.Users[0].Name != "root" {
		t.Errorf("users %+v", got.Profile.Users)
	}
	joined := strings.Join(got.Warnings, "\n")
	for _, w := range []string{"/etc/passwd line 2", "weird has a bad uid", "/etc/fstab line 1"} {
		if !strings.Contains(joined, w) {
			t.Errorf("warnings lack %q:\n%s", w, joined)
		}
	}
}

func TestScanThroughLinkedRoot(t *testing.T) {
	r := buildDebianRoot(t)
	link := filepath.Join(t.TempDir(), "current")
	if err := os.Symlink(r.dir, link); err != nil {
		t.Fatal(err)
	}
	if got := inventory(t, link); got.Root != r.dir || got.Hostname != "web01" {
		t.Errorf("root %q hostname %q", got.Root, got.Hostname)
	}
	direct, _ := collect(t, r.dir, OverlayOptions{})
	linked, _ := collect(t, link, OverlayOptions{})
	if diff := cmp.Diff(direct, linked); diff != "" {
		t.Errorf("overlay through a linked root differs (-direct +linked):\n%s", diff)
	}
}
