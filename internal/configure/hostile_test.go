package configure

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kilnhq/kiln/internal/spec"
	"github.com/kilnhq/kiln/internal/treefs/treefstest"
)

// Every path a profile names, and every file configure writes, stays in the
// tree: Debian's absolute links (var/run -> /run …) lead to host sentinels
// here, which must not change (checked when each test ends).

// Homes that reach through a link are refused, naming the field: confined to
// the tree they would still land somewhere else than the profile says.
func TestApplyRefusesHomesThroughLinks(t *testing.T) {
	for _, c := range []struct {
		home, want string
	}{
		{"/var/run/lock/kiln", "install.users[1].home: /var/run/lock/kiln goes through the link /var/run"},
		{"/var/lock", "install.users[1].home: /var/lock is a symlink"},
		{"/usr/lib/ssl/private/kiln", "install.users[1].home: /usr/lib/ssl/private/kiln goes through the link /usr/lib/ssl/private"},
	} {
		t.Run(c.home, func(t *testing.T) {
			root := fakeTree(t)
			treefstest.Plant(t, root, treefstest.DebianLinks...)
			in := spec.Install{Users: []spec.User{
				{Name: "ops"},
				{Name: "tenant", Home: c.home, SSHKeys: []string{opsKey}, Sudo: true},
			}}
			err := Apply(context.Background(), root, in, WithTime(fixedTime))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Apply = %v, want an error containing %q", err, c.want)
			}
		})
	}
}

// A scanned machine's accounts become the profile's users: a scan report
// naming such a home is refused the same way.
func TestApplyRefusesScannedHomesThroughLinks(t *testing.T) {
	root := fakeTree(t)
	treefstest.Plant(t, root, treefstest.DebianLinks...)
	in := spec.Install{Users: []spec.User{{Name: "svc", UID: 1001, Home: "/var/run/nologin", SSHKeys: []string{opsKey}}}}
	err := Apply(context.Background(), root, in, WithTime(fixedTime))
	if err == nil || !strings.Contains(err.Error(), "install.users[0].home: /var/run/nologin goes through the link /var/run") {
		t.Fatalf("Apply = %v", err)
	}
}

// A ~/.ssh that /etc/skel made a symlink, and a /root/.ssh that is one, are
// not written through: authorized_keys would land wherever they lead.
func TestApplyRefusesSSHDirThroughLinks(t *testing.T) {
	t.Run("skel", func(t *testing.T) {
		root := fakeTree(t)
		treefstest.Plant(t, root, "etc/skel/.ssh") // copied as it is into ~ops
		in := spec.Install{Users: []spec.User{{Name: "ops", SSHKeys: []string{opsKey}}}}
		err := Apply(context.Background(), root, in, WithTime(fixedTime))
		if err == nil || !strings.Contains(err.Error(), "/home/ops/.ssh") {
			t.Fatalf("Apply = %v, want an error about /home/ops/.ssh", err)
		}
	})
	t.Run("root", func(t *testing.T) {
		root := fakeTree(t)
		treefstest.Plant(t, root, "root/.ssh")
		in := spec.Install{RootSSHKeys: []string{rootKey}}
		err := Apply(context.Background(), root, in, WithTime(fixedTime))
		if err == nil || !strings.Contains(err.Error(), "/root/.ssh") {
			t.Fatalf("Apply = %v, want an error about /root/.ssh", err)
		}
	})
}

// The files configure writes itself are written inside the tree even where
// the tree's directories are absolute links: they land where the link leads
// in the tree, as they would on the booted system.
func TestApplyWritesFilesInsideTheTree(t *testing.T) {
	root := fakeTree(t)
	links := []string{"etc/default", "etc/sudoers.d", "etc/ssh/sshd_config.d", "etc/systemd/system", "var/lib/dbus", "etc/network"}
	s := treefstest.Plant(t, root, links...)
	in := referenceInstall()
	in.Users = in.Users[:1] // ops: sudo, keys
	in.Network = spec.Network{Mode: "dhcp"}
	if err := Apply(context.Background(), root, in, WithTime(fixedTime)); err != nil {
		t.Fatal(err)
	}
	for link, file := range map[string]string{
		"etc/default":           "locale",
		"etc/sudoers.d":         "kiln-ops",
		"etc/ssh/sshd_config.d": "kiln.conf",
		"etc/systemd/system":    "kiln-ssh-hostkeys.service",
		"etc/network":           "interfaces",
	} {
		if _, err := os.Stat(filepath.Join(s.Inside(link), file)); err != nil {
			t.Errorf("/%s/%s is not where the link leads inside the tree: %v", link, file, err)
		}
	}
}
