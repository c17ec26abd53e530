package service

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/kilnhq/kiln/internal/spec"
	"github.com/kilnhq/kiln/internal/uforge"
)

func TestInstallToSpec(t *testing.T) {
	const hash = "$6$salt$abcdefghijklmnopqrstuvwxyz"
	for _, tc := range []struct {
		name    string
		in      uforge.InstallProfile
		want    spec.Install
		wantErr string
	}{{
		name: "defaults of a new appliance",
		in:   *defaultInstallProfile(),
		want: spec.Install{Hostname: "web", Timezone: "Etc/UTC", Keyboard: "us", Disk: spec.Disk{SizeMB: defaultDiskMB}},
	}, {
		name: "accounts, keys and kernel parameters",
		in: uforge.InstallProfile{DiskSize: new(int64(4096)), SwapSize: new(int64(512)), Timezone: new("Europe/Paris"),
			Keyboard: new("fr"), KernelParameters: new("  quiet   console=ttyS0 "),
			RootUser: &uforge.OSUser{Password: new(hash), DisablePasswordLogin: new(true),
				SSHKeys: []uforge.SSHKey{{PublicKey: new(" ssh-ed25519 AAAA root@x \n")}}},
			Groups: []uforge.OSGroup{{Name: new("web"), GroupID: new("1600")}, {Name: new("svc"), SystemGroup: new(true)}},
			Users: []uforge.OSUser{{Name: new("ops"), FullName: new("Ops"), UserID: new(" 1500 "), PrimaryGroup: new("web"),
				SecondaryGroups: new("adm, sudo,,"), HomeDir: new("/srv/ops"), Shell: new("/bin/zsh"), Password: new(hash),
				Sudo: new(1), SSHKeys: []uforge.SSHKey{{PublicKey: new("ssh-rsa BBBB ops@x")}}}},
		},
		want: spec.Install{Hostname: "web", Timezone: "Europe/Paris", Keyboard: "fr",
			KernelParameters: []string{"quiet", "console=ttyS0"}, RootPasswordHash: hash, DisableRootPasswordLogin: true,
			RootSSHKeys: []string{"ssh-ed25519 AAAA root@x"}, Disk: spec.Disk{SizeMB: 4096, SwapMB: 512},
			Groups: []spec.Group{{Name: "web", GID: 1600}, {Name: "svc", System: true}},
			Users: []spec.User{{Name: "ops", FullName: "Ops", UID: 1500, PrimaryGroup: "web", Groups: []string{"adm", "sudo"},
				Home: "/srv/ops", Shell: "/bin/zsh", PasswordHash: hash, Sudo: true, SSHKeys: []string{"ssh-rsa BBBB ops@x"}}},
		},
	}, {
		name: "manual partitions size the disk",
		in: uforge.InstallProfile{DiskSize: new(int64(10240)), PartitionAuto: new(false),
			PartitionTable: &uforge.PartitionTable{Disks: []uforge.Disk{{Size: new(int64(8192)), Partitions: []uforge.Partition{
				{Mpoint: new("/"), Fstype: new("EXT4"), Size: new(int64(6000)), Label: new("root")},
				{Fstype: new("swap"), Size: new(int64(1024))},
				{Mpoint: new("/data"), Fstype: new("xfs"), Growable: new(true)},
			}}}}},
		want: spec.Install{Hostname: "web", Disk: spec.Disk{SizeMB: 8192, Partitions: []spec.Partition{
			{MountPoint: "/", FSType: "ext4", SizeMB: 6000, Label: "root"},
			{FSType: "linux-swap", SizeMB: 1024},
			{MountPoint: "/data", FSType: "xfs", Grow: true},
		}}},
	}, {
		name: "automatic partitioning ignores the table",
		in: uforge.InstallProfile{DiskSize: new(int64(2048)), PartitionAuto: new(true),
			PartitionTable: &uforge.PartitionTable{Disks: []uforge.Disk{{Size: new(int64(9999)),
				Partitions: []uforge.Partition{{Mpoint: new("/"), Fstype: new("btrfs")}}}}}},
		want: spec.Install{Hostname: "web", Disk: spec.Disk{SizeMB: 2048}},
	}, {
		name: "static address with a dotted netmask",
		in: uforge.InstallProfile{Nics: []uforge.Nic{{IPv4Method: new("static"), IPAddresses: []uforge.IPAddress{
			{Address: new("10.0.0.5"), Netmask: new("255.255.255.0"), Gateway: new("10.0.0.1")}}}}},
		want: spec.Install{Hostname: "web", Network: spec.Network{Mode: "static", Address: "10.0.0.5/24", Gateway: "10.0.0.1"}},
	}, {
		name: "dhcp is the engine's default",
		in:   uforge.InstallProfile{Nics: []uforge.Nic{{IPv4Method: new("dhcp")}}},
		want: spec.Install{Hostname: "web"},
	}, {
		name:    "group id not a number",
		in:      uforge.InstallProfile{Groups: []uforge.OSGroup{{Name: new("a")}, {Name: new("b"), GroupID: new("x1")}}},
		wantErr: "groups/group[1]/groupId: not a number",
	}, {
		name:    "negative user id",
		in:      uforge.InstallProfile{Users: []uforge.OSUser{{Name: new("a"), UserID: new("-3")}}},
		wantErr: "users/user[0]/userId: not a number",
	}, {
		name: "unsupported filesystem",
		in: uforge.InstallProfile{PartitionAuto: new(false), PartitionTable: &uforge.PartitionTable{Disks: []uforge.Disk{{
			Partitions: []uforge.Partition{{Mpoint: new("/"), Fstype: new("ext4")}, {Mpoint: new("/x"), Fstype: new("btrfs")}}}}}},
		wantErr: `partitions/partition[1]/fstype: "btrfs" is not supported yet`,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := installToSpec(&tc.in, "web")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			// Compared as stored: empty and absent lists are the same spec.
			g, _ := json.Marshal(got)
			w, _ := json.Marshal(tc.want)
			if string(g) != string(w) {
				t.Errorf("installToSpec:\n got %s\nwant %s", g, w)
			}
		})
	}
}

func TestCIDR(t *testing.T) {
	for _, tc := range []struct{ addr, mask, want string }{
		{"192.168.1.10", "255.255.255.0", "192.168.1.10/24"},
		{"10.1.2.3", "255.255.240.0", "10.1.2.3/20"},
		{"10.1.2.3", "255.255.255.255", "10.1.2.3/32"},
		{"10.1.2.3/16", "255.255.255.0", "10.1.2.3/16"}, // already CIDR: kept
		{"10.1.2.3", "", "10.1.2.3"},
		{"", "255.0.0.0", ""},
	} {
		if got := cidr(tc.addr, tc.mask); got != tc.want {
			t.Errorf("cidr(%q, %q) = %q, want %q", tc.addr, tc.mask, got, tc.want)
		}
	}
}

func TestHostnameFor(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		{"web", "web"},
		{"My Web Server", "my-web-server"},
		{"  --Café__Prod 2024!!", "caf-prod-2024"},
		{"日本語", "localhost"},
		{"", "localhost"},
		{strings.Repeat("a", 62) + " b", strings.Repeat("a", 62)}, // cut at 63, no trailing '-'
		{strings.Repeat("x", 80), strings.Repeat("x", 63)},
	} {
		if got := HostnameFor(tc.name); got != tc.want {
			t.Errorf("HostnameFor(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestWireNames(t *testing.T) {
	err := errorString("install.disk.sizeMB: too small\ninstall.users[0].name: required\ninstall.timezone: unknown")
	want := "diskSize: too small; users/user[0].name: required; timezone: unknown"
	if got := wireNames(err); got != want {
		t.Errorf("wireNames = %q, want %q", got, want)
	}
}

type errorString string

func (e errorString) Error() string { return string(e) }

func TestMergeInstallProfile(t *testing.T) {
	t.Run("clear passwords are hashed and an absent root password is kept", func(t *testing.T) {
		ip := defaultInstallProfile()
		if err := mergeInstallProfile(ip, &uforge.InstallProfile{RootUser: &uforge.OSUser{Password: new("s3cret!")}}, "installProfile"); err != nil {
			t.Fatal(err)
		}
		first := uforge.StrValue(ip.RootUser.Password)
		if !strings.HasPrefix(first, "$6$") || !uforge.BoolValue(ip.RootUser.Encrypted) {
			t.Fatalf("root password %q (encrypted %v), want a SHA-512 crypt hash", first, uforge.BoolValue(ip.RootUser.Encrypted))
		}
		if err := mergeInstallProfile(ip, &uforge.InstallProfile{RootUser: &uforge.OSUser{DisablePasswordLogin: new(true)}}, "installProfile"); err != nil {
			t.Fatal(err)
		}
		if got := uforge.StrValue(ip.RootUser.Password); got != first || !uforge.BoolValue(ip.RootUser.DisablePasswordLogin) {
			t.Errorf("root password %q after a change without one, want %q kept", got, first)
		}
	})
	t.Run("an automatic layout follows the disk size", func(t *testing.T) {
		ip := defaultInstallProfile()
		ip.PartitionTable = &uforge.PartitionTable{Disks: []uforge.Disk{{Name: new("sda"), Size: new(int64(defaultDiskMB))}}}
		if err := mergeInstallProfile(ip, &uforge.InstallProfile{DiskSize: new(int64(20480))}, "installProfile"); err != nil {
			t.Fatal(err)
		}
		if got := uforge.Int64Value(ip.PartitionTable.Disks[0].Size); got != 20480 || uforge.Int64Value(ip.DiskSize) != 20480 {
			t.Errorf("disk %d, partition table disk %d, want both 20480", uforge.Int64Value(ip.DiskSize), got)
		}
	})
	for _, tc := range []struct {
		name string
		in   uforge.InstallProfile
		want string
	}{
		{"unknown keymap", uforge.InstallProfile{Keyboard: new("klingon")}, `installProfile/keyboard: "klingon" is not a keymap`},
		{"no memory", uforge.InstallProfile{MemorySize: new(int64(0))}, "installProfile/memorySize: must be a positive number"},
		{"encrypted but clear", uforge.InstallProfile{Users: []uforge.OSUser{{Name: new("a"), Password: new("plain"), Encrypted: new(true)}}},
			"installProfile/users/user[0]/password: encrypted=true but the value is not a crypt(3) hash"},
		{"bad group id", uforge.InstallProfile{Groups: []uforge.OSGroup{{Name: new("g"), GroupID: new("one")}}},
			"installProfile: groups/group[0]/groupId: not a number"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ip := defaultInstallProfile()
			before := *ip
			err := mergeInstallProfile(ip, &tc.in, "installProfile")
			if e, ok := AsError(err); !ok || e.Kind != KindInvalid || !strings.Contains(e.Msg, tc.want) {
				t.Fatalf("error %v, want invalid %q", err, tc.want)
			}
			if !reflect.DeepEqual(*ip, before) {
				t.Errorf("an invalid change was applied: %+v", ip)
			}
		})
	}
}
