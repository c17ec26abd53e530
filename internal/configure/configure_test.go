package configure

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kilnhq/kiln/internal/auth"
	"github.com/kilnhq/kiln/internal/spec"
	"github.com/kilnhq/kiln/internal/treefs"
)

// The fake tree: real files from a Debian 12 bootstrap (testdata/debian12, see
// testdata/README), copied into a temp dir for each test.

const (
	opsKey  = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDwnto+7UVMHlu6jY3uHe2e3WWElOOxKjBAJB0ee/Oea ops@kiln-ref"
	rootKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGjGn2r8nXb0g6m7pvXG2JrE0DUdkzFeAa+Vo1G6nB3d admin@example"
)

var fixedTime = time.Date(2026, 1, 2, 12, 0, 0, 0, time.UTC) // day 20455 since the epoch

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("configure sets file ownership: needs root")
	}
}

func fakeTree(t *testing.T) string {
	t.Helper()
	requireRoot(t)
	dst := t.TempDir()
	src := "testdata/debian12"
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		out := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(out, info.Mode().Perm()|0o700)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(out, data, info.Mode().Perm())
	})
	if err != nil {
		t.Fatal(err)
	}
	// Modes and owners git cannot keep, as Debian has them.
	mustChown(t, filepath.Join(dst, "etc/shadow"), 0, 42, 0o640)
	mustChown(t, filepath.Join(dst, "etc/gshadow"), 0, 42, 0o640)
	mustChown(t, filepath.Join(dst, "root"), 0, 0, 0o700)
	// Debian's localtime is a symlink; a machine-id from the bootstrap must go.
	if err := os.MkdirAll(filepath.Join(dst, "var/lib/dbus"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/usr/share/zoneinfo/Etc/UTC", filepath.Join(dst, "etc/localtime")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dst, "var/lib/dbus/machine-id"), []byte("0123456789abcdef0123456789abcdef\n"), 0o444); err != nil {
		t.Fatal(err)
	}
	return dst
}

func openTree(t *testing.T, root string) tree {
	t.Helper()
	r, err := treefs.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return tree{r}
}

func mustChown(t *testing.T, p string, uid, gid int, mode fs.FileMode) {
	t.Helper()
	if err := os.Chown(p, uid, gid); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
}

// checkFile asserts content (when want != nil), mode and owner of an in-tree file.
func checkFile(t *testing.T, root, p string, want *string, mode fs.FileMode, uid, gid int) {
	t.Helper()
	full := filepath.Join(root, p)
	o, m, err := statOwner(full)
	if err != nil {
		t.Errorf("%s: %v", p, err)
		return
	}
	if m != mode {
		t.Errorf("%s: mode %v, want %v", p, m, mode)
	}
	if o.uid != uid || o.gid != gid {
		t.Errorf("%s: owner %d:%d, want %d:%d", p, o.uid, o.gid, uid, gid)
	}
	if want != nil && m.IsRegular() {
		got, _ := os.ReadFile(full)
		if d := cmp.Diff(*want, string(got)); d != "" {
			t.Errorf("%s content (-want +got):\n%s", p, d)
		}
	}
}

func ptr(s string) *string { return &s }

func readLines(t *testing.T, root, p string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, p))
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, l := range lines(data) {
		name, _, _ := strings.Cut(l, ":")
		m[name] = l
	}
	return m
}

func referenceInstall() spec.Install {
	return spec.Install{
		Hostname:                 "kiln-ref.example.org",
		RootPasswordHash:         "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1",
		RootSSHKeys:              []string{rootKey},
		DisableRootPasswordLogin: true,
		Groups:                   []spec.Group{{Name: "devs"}, {Name: "backup2", GID: 3000}, {Name: "svc", System: true}},
		Users: []spec.User{
			{Name: "ops", FullName: "Operations", Sudo: true, SSHKeys: []string{opsKey}, Groups: []string{"adm", "devs"}, Password: "kiln"},
			{Name: "dev", UID: 1500, PrimaryGroup: "devs", Shell: "/bin/sh"},
			{Name: "daemon2", System: true},
		},
		Timezone: "Europe/Paris",
		Keyboard: "fr-latin9",
		Locale:   "C.UTF-8",
		Network:  spec.Network{Mode: "dhcp"},
	}
}

func TestApplyReference(t *testing.T) {
	root := fakeTree(t)
	if err := Apply(context.Background(), root, referenceInstall(), WithTime(fixedTime)); err != nil {
		t.Fatal(err)
	}

	checkFile(t, root, "etc/hostname", ptr("kiln-ref\n"), 0o644, 0, 0)
	hosts, _ := os.ReadFile(filepath.Join(root, "etc/hosts"))
	if !strings.Contains(string(hosts), "127.0.1.1\tkiln-ref.example.org kiln-ref\n") || !strings.HasPrefix(string(hosts), "127.0.0.1\tlocalhost\n") {
		t.Errorf("/etc/hosts:\n%s", hosts)
	}
	checkFile(t, root, "etc/hosts", nil, 0o644, 0, 0)

	// Accounts: the four files agree, with ids allocated from 1000 skipping used ones.
	passwd := readLines(t, root, "etc/passwd")
	shadow := readLines(t, root, "etc/shadow")
	group := readLines(t, root, "etc/group")
	gshadow := readLines(t, root, "etc/gshadow")
	wantPasswd := map[string]string{
		"root":    "root:x:0:0:root:/root:/bin/bash",
		"ops":     "ops:x:1000:1001:Operations,,,:/home/ops:/bin/bash", // 1000 went to group devs
		"dev":     "dev:x:1500:1000::/home/dev:/bin/sh",
		"daemon2": "daemon2:x:999:996::/nonexistent:/usr/sbin/nologin", // gids 999, 998 are the base's
	}
	for name, want := range wantPasswd {
		if passwd[name] != want {
			t.Errorf("passwd %s = %q, want %q", name, passwd[name], want)
		}
	}
	wantGroup := map[string]string{
		"devs":    "devs:x:1000:ops", // groups are created before users
		"backup2": "backup2:x:3000:",
		"svc":     "svc:x:997:",
		"ops":     "ops:x:1001:",
		"daemon2": "daemon2:x:996:",
	}
	for name, want := range wantGroup {
		if group[name] != want {
			t.Errorf("group %s = %q, want %q", name, group[name], want)
		}
	}
	if !strings.HasSuffix(group["adm"], ",ops") && !strings.HasSuffix(group["adm"], ":ops") {
		t.Errorf("ops not in adm: %q", group["adm"])
	}
	if !strings.HasSuffix(gshadow["adm"], "ops") || gshadow["devs"] != "devs:!::ops" || gshadow["ops"] != "ops:!::" {
		t.Errorf("gshadow: adm=%q devs=%q ops=%q", gshadow["adm"], gshadow["devs"], gshadow["ops"])
	}
	if len(passwd) != len(shadow) || len(group) != len(gshadow) {
		t.Errorf("files disagree: %d passwd vs %d shadow, %d group vs %d gshadow", len(passwd), len(shadow), len(group), len(gshadow))
	}
	if shadow["root"] != "root:"+referenceInstall().RootPasswordHash+":20455:0:99999:7:::" {
		t.Errorf("shadow root = %q", shadow["root"])
	}
	opsHash := strings.Split(shadow["ops"], ":")[1]
	if !auth.VerifyShadow("kiln", opsHash) {
		t.Errorf("ops hash %q does not verify the password", opsHash)
	}
	if !strings.HasPrefix(shadow["dev"], "dev:*:20455:") {
		t.Errorf("shadow dev = %q, want a password-less account", shadow["dev"])
	}
	checkFile(t, root, "etc/passwd", nil, 0o644, 0, 0)
	checkFile(t, root, "etc/group", nil, 0o644, 0, 0)
	checkFile(t, root, "etc/shadow", nil, 0o640, 0, 42)
	checkFile(t, root, "etc/gshadow", nil, 0o640, 0, 42)

	// Homes, keys, sudo.
	checkFile(t, root, "home/ops", nil, fs.ModeDir|0o700, 1000, 1001)
	bashrc, _ := os.ReadFile(filepath.Join(root, "etc/skel/.bashrc"))
	checkFile(t, root, "home/ops/.bashrc", ptr(string(bashrc)), 0o644, 1000, 1001)
	checkFile(t, root, "home/ops/.profile", nil, 0o644, 1000, 1001)
	checkFile(t, root, "home/ops/.ssh", nil, fs.ModeDir|0o700, 1000, 1001)
	checkFile(t, root, "home/ops/.ssh/authorized_keys", ptr(opsKey+"\n"), 0o600, 1000, 1001)
	checkFile(t, root, "home/dev", nil, fs.ModeDir|0o700, 1500, 1000)
	if _, err := os.Lstat(filepath.Join(root, "home/dev/.ssh")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("dev has no keys but got ~/.ssh: %v", err)
	}
	if _, err := os.Lstat(filepath.Join(root, "nonexistent")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("system user got a home: %v", err)
	}
	checkFile(t, root, "root/.ssh", nil, fs.ModeDir|0o700, 0, 0)
	checkFile(t, root, "root/.ssh/authorized_keys", ptr(rootKey+"\n"), 0o600, 0, 0)
	checkFile(t, root, "etc/sudoers.d/kiln-ops", ptr("# Written by Kiln: passwordless sudo for ops.\nops ALL=(ALL:ALL) NOPASSWD:ALL\n"), 0o440, 0, 0)
	if _, err := os.Lstat(filepath.Join(root, "etc/sudoers.d/kiln-dev")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("dev got sudo: %v", err)
	}

	// SSH: root policy, host keys gone, first-boot generation enabled.
	checkFile(t, root, "etc/ssh/sshd_config.d/kiln.conf", ptr("# Written by Kiln from the install profile.\nPermitRootLogin prohibit-password\n"), 0o644, 0, 0)
	keys, _ := filepath.Glob(filepath.Join(root, "etc/ssh/ssh_host_*"))
	if len(keys) != 0 {
		t.Errorf("host keys left in the image: %v", keys)
	}
	checkFile(t, root, "etc/systemd/system/kiln-ssh-hostkeys.service", ptr(hostKeyUnit), 0o644, 0, 0)
	for _, w := range []string{"multi-user.target.wants", "ssh.service.wants"} {
		checkLink(t, root, "etc/systemd/system/"+w+"/kiln-ssh-hostkeys.service", "/etc/systemd/system/kiln-ssh-hostkeys.service")
	}

	// Time zone, keyboard, locale.
	checkLink(t, root, "etc/localtime", "/usr/share/zoneinfo/Europe/Paris")
	checkFile(t, root, "etc/timezone", ptr("Europe/Paris\n"), 0o644, 0, 0)
	checkFile(t, root, "etc/default/keyboard", ptr("# KEYBOARD CONFIGURATION FILE\n# Written by Kiln. See keyboard(5).\n\n"+
		"XKBMODEL=\"pc105\"\nXKBLAYOUT=\"fr\"\nXKBVARIANT=\"latin9\"\nXKBOPTIONS=\"\"\n\nBACKSPACE=\"guess\"\n"), 0o644, 0, 0)
	checkFile(t, root, "etc/default/locale", ptr("# Written by Kiln.\nLANG=C.UTF-8\n"), 0o644, 0, 0)

	// Network, identity, consoles.
	checkFile(t, root, "etc/network/interfaces", ptr(interfacesHeader+"iface nic inet dhcp\n"), 0o644, 0, 0)
	checkFile(t, root, "etc/resolv.conf", ptr(dhcpResolvConf), 0o644, 0, 0)
	checkFile(t, root, "etc/systemd/system/ifupdown-pre.service.d/kiln-settle.conf", ptr(settleDropIn), 0o644, 0, 0)
	checkFile(t, root, "etc/machine-id", ptr(""), 0o444, 0, 0)
	if _, err := os.Lstat(filepath.Join(root, "var/lib/dbus/machine-id")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("/var/lib/dbus/machine-id left: %v", err)
	}
	checkLink(t, root, "etc/systemd/system/getty.target.wants/getty@tty1.service", "/lib/systemd/system/getty@.service")
	checkLink(t, root, "etc/systemd/system/getty.target.wants/serial-getty@ttyS0.service", "/lib/systemd/system/serial-getty@.service")

	// No temp file of ours is left anywhere.
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(d.Name(), ".kiln-") {
			t.Errorf("temp file left: %s", p)
		}
		return nil
	})
}

func checkLink(t *testing.T, root, p, want string) {
	t.Helper()
	got, err := os.Readlink(filepath.Join(root, p))
	if err != nil || got != want {
		t.Errorf("%s -> %q (%v), want -> %q", p, got, err, want)
	}
}

func TestApplyRootPasswordPolicy(t *testing.T) {
	tests := []struct {
		name    string
		in      spec.Install
		hash    func(string) bool
		sshConf *string
	}{
		{"no password: locked root, sshd default", spec.Install{}, func(h string) bool { return h == "!" }, nil},
		{"password allowed over ssh", spec.Install{RootPassword: "kiln"}, func(h string) bool {
			return strings.HasPrefix(h, "$6$") && auth.VerifyShadow("kiln", h)
		}, ptr("# Written by Kiln from the install profile.\nPermitRootLogin yes\n")},
		{"locked root with keys only", spec.Install{RootSSHKeys: []string{rootKey}, DisableRootPasswordLogin: true},
			func(h string) bool { return h == "!" }, ptr("# Written by Kiln from the install profile.\nPermitRootLogin prohibit-password\n")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := fakeTree(t)
			if err := Apply(context.Background(), root, tt.in, WithTime(fixedTime)); err != nil {
				t.Fatal(err)
			}
			f := strings.Split(readLines(t, root, "etc/shadow")["root"], ":")
			if !tt.hash(f[1]) {
				t.Errorf("root hash %q", f[1])
			}
			conf := filepath.Join(root, "etc/ssh/sshd_config.d/kiln.conf")
			if tt.sshConf == nil {
				if _, err := os.Stat(conf); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("unexpected sshd drop-in: %v", err)
				}
			} else {
				checkFile(t, root, "etc/ssh/sshd_config.d/kiln.conf", tt.sshConf, 0o644, 0, 0)
			}
			checkFile(t, root, "etc/default/locale", ptr("# Written by Kiln.\nLANG=C.UTF-8\n"), 0o644, 0, 0)
			checkLink(t, root, "etc/localtime", "/usr/share/zoneinfo/Etc/UTC")
		})
	}
}

func TestApplyStaticNetwork(t *testing.T) {
	root := fakeTree(t)
	in := spec.Install{Network: spec.Network{Mode: "static", Address: "192.0.2.10/24", Gateway: "192.0.2.1", DNS: []string{"192.0.2.53", "2001:db8::53"}}}
	if err := Apply(context.Background(), root, in); err != nil {
		t.Fatal(err)
	}
	checkFile(t, root, "etc/network/interfaces", ptr(interfacesHeader+"iface nic inet static\n    address 192.0.2.10/24\n    gateway 192.0.2.1\n"), 0o644, 0, 0)
	checkFile(t, root, "etc/resolv.conf", ptr("# Written by Kiln (static network).\nnameserver 192.0.2.53\nnameserver 2001:db8::53\n"), 0o644, 0, 0)
}

func TestApplyErrors(t *testing.T) {
	tests := []struct {
		name string
		in   spec.Install
		want string
	}{
		{"unknown zone", spec.Install{Timezone: "Mars/Olympus"}, "no zone file"},
		{"zone escaping the tree", spec.Install{Timezone: "../../etc/passwd"}, "invalid time zone"},
		{"missing secondary group", spec.Install{Users: []spec.User{{Name: "a", Groups: []string{"nosuch"}}}}, "group nosuch does not exist"},
		{"missing primary group", spec.Install{Users: []spec.User{{Name: "a", PrimaryGroup: "nosuch"}}}, "primary group nosuch does not exist"},
		{"uid taken", spec.Install{Users: []spec.User{{Name: "a", UID: 1000}, {Name: "b", UID: 1000}}}, "uid 1000 is already used"},
		{"user exists in base", spec.Install{Users: []spec.User{{Name: "daemon"}}}, "already exists"},
		{"gid clash with existing group", spec.Install{Groups: []spec.Group{{Name: "adm", GID: 5000}}}, "already exists with gid 4"},
		{"locale without locales package", spec.Install{Locale: "fr_FR.UTF-8"}, "needs the locales package"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := fakeTree(t)
			err := Apply(context.Background(), root, tt.in)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Apply error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestApplyCancelled(t *testing.T) {
	root := fakeTree(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Apply(ctx, root, spec.Install{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Apply on a cancelled context = %v", err)
	}
}

func TestEnableInLocaleGen(t *testing.T) {
	root := fakeTree(t)
	tr := openTree(t, root)
	if err := enableInLocaleGen(tr, "fr_FR.UTF-8 UTF-8"); err != nil {
		t.Fatal(err)
	}
	if err := enableInLocaleGen(tr, "xx_XX.UTF-8 UTF-8"); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(filepath.Join(root, "etc/locale.gen"))
	var active []string
	for _, l := range lines(data) {
		if l != "" && !strings.HasPrefix(l, "#") {
			active = append(active, l)
		}
	}
	if d := cmp.Diff([]string{"fr_FR.UTF-8 UTF-8", "xx_XX.UTF-8 UTF-8"}, active); d != "" {
		t.Errorf("active locale.gen lines (-want +got):\n%s", d)
	}
	if line, err := supportedLine(tr, "fr_FR.UTF-8"); err != nil || line != "fr_FR.UTF-8 UTF-8" {
		t.Errorf("supportedLine = %q, %v", line, err)
	}
	if _, err := supportedLine(tr, "xx_XX.UTF-8"); err == nil {
		t.Error("supportedLine accepted an unknown locale")
	}
}

// The hard-link rule: writing a file that is hard-linked elsewhere (the base cache)
// must leave the other link untouched.
func TestWriteFileNeverWritesThroughHardLinks(t *testing.T) {
	root := fakeTree(t)
	cache := filepath.Join(t.TempDir(), "cached-hostname")
	if err := os.Link(filepath.Join(root, "etc/hostname"), cache); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(cache)
	tr := openTree(t, root)
	if err := hostname(tr, "changed"); err != nil {
		t.Fatal(err)
	}
	after, _ := os.ReadFile(cache)
	if string(before) != string(after) {
		t.Errorf("cached file changed through a hard link: %q -> %q", before, after)
	}
	// unshare gives a linked file its own inode with the same content and mode.
	if err := os.Link(filepath.Join(root, "etc/locale.gen"), filepath.Join(t.TempDir(), "x")); err != nil {
		t.Fatal(err)
	}
	if err := tr.unshare("/etc/locale.gen"); err != nil {
		t.Fatal(err)
	}
	var st = mustStatNlink(t, filepath.Join(root, "etc/locale.gen"))
	if st != 1 {
		t.Errorf("after unshare nlink = %d", st)
	}
}

func mustStatNlink(t *testing.T, p string) uint64 {
	t.Helper()
	info, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	return uint64(info.Sys().(*syscall.Stat_t).Nlink)
}

// statOwner reads a file's owner and mode.
func statOwner(p string) (owner, fs.FileMode, error) {
	info, err := os.Lstat(p)
	if err != nil {
		return owner{}, 0, err
	}
	st := info.Sys().(*syscall.Stat_t)
	return owner{int(st.Uid), int(st.Gid)}, info.Mode(), nil
}
