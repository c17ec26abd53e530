package configure

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kilnhq/kiln/internal/spec"
)

// Accounts recreated from a scan: those the packages already made keep the
// packages' ids (www-data has uid 33 in the tree, the source said 733), the
// others are created with the source's exact uid, gid, home, shell and hash,
// locked hashes included, without a home directory (the overlay brings it).
func TestApplyIfMissingAccounts(t *testing.T) {
	root := fakeTree(t)
	in := spec.Install{
		Groups: []spec.Group{
			{Name: "www-data", GID: 733, System: true, IfMissing: true},
			{Name: "adm", GID: 4, System: true, IfMissing: true},
			{Name: "appsvc", GID: 950, System: true, IfMissing: true},
		},
		Users: []spec.User{
			{Name: "www-data", UID: 733, PrimaryGroup: "www-data", Home: "/srv/www", Shell: "/bin/bash", System: true, IfMissing: true},
			{Name: "appsvc", UID: 950, PrimaryGroup: "appsvc", Groups: []string{"adm"}, Home: "/opt/appsvc", Shell: "/bin/sh",
				PasswordHash: "!$y$j9T$abc$def", System: true, IfMissing: true},
			{Name: "legacy", UID: 120, PrimaryGroup: "nogroup", Home: "/run/legacy", Shell: "/usr/sbin/nologin", System: true, IfMissing: true},
		},
	}
	if err := Apply(context.Background(), root, in, WithTime(fixedTime)); err != nil {
		t.Fatal(err)
	}
	passwd := readLines(t, root, "etc/passwd")
	shadow := readLines(t, root, "etc/shadow")
	group := readLines(t, root, "etc/group")
	gshadow := readLines(t, root, "etc/gshadow")
	for file, want := range map[string]map[string]string{
		"passwd": {
			"www-data": "www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin",
			"appsvc":   "appsvc:x:950:950::/opt/appsvc:/bin/sh",
			"legacy":   "legacy:x:120:65534::/run/legacy:/usr/sbin/nologin",
		},
		"shadow": {
			"www-data": "www-data:*:20781:0:99999:7:::",
			"appsvc":   "appsvc:!$y$j9T$abc$def:20455:0:99999:7:::",
			"legacy":   "legacy:*:20455:0:99999:7:::",
		},
		"group":   {"www-data": "www-data:x:33:", "appsvc": "appsvc:x:950:", "adm": "adm:x:4:appsvc"},
		"gshadow": {"appsvc": "appsvc:!::", "adm": "adm:*::appsvc"},
	} {
		have := map[string]map[string]string{"passwd": passwd, "shadow": shadow, "group": group, "gshadow": gshadow}[file]
		for name, line := range want {
			if have[name] != line {
				t.Errorf("%s %s = %q, want %q", file, name, have[name], line)
			}
		}
	}
	for _, home := range []string{"opt/appsvc", "run/legacy", "srv/www"} {
		if _, err := os.Lstat(filepath.Join(root, home)); !os.IsNotExist(err) {
			t.Errorf("home %s was made (%v): the overlay brings homes of recreated accounts", home, err)
		}
	}
}

// An id the source gave an account that the tree gives another name is not
// taken from its owner: the recreated account gets a free system id (the
// overlay maps owners by name, and the fidelity report names the change).
func TestApplyIfMissingIDTaken(t *testing.T) {
	root := fakeTree(t)
	in := spec.Install{
		Groups: []spec.Group{{Name: "appsvc", GID: 27, System: true, IfMissing: true}},
		Users:  []spec.User{{Name: "appsvc", UID: 33, PrimaryGroup: "appsvc", System: true, IfMissing: true}},
	}
	if err := Apply(context.Background(), root, in, WithTime(fixedTime)); err != nil {
		t.Fatal(err)
	}
	passwd, group := readLines(t, root, "etc/passwd"), readLines(t, root, "etc/group")
	if !strings.HasPrefix(passwd["www-data"], "www-data:x:33:") || !strings.HasPrefix(group["sudo"], "sudo:x:27:") {
		t.Errorf("the owners of the ids changed: %q, %q", passwd["www-data"], group["sudo"])
	}
	u, g := strings.Split(passwd["appsvc"], ":"), strings.Split(group["appsvc"], ":")
	if len(u) < 4 || len(g) < 3 || u[2] == "33" || g[2] == "27" || u[3] != g[2] {
		t.Errorf("appsvc recreated as %q in group %q: want fresh ids, the user in its group", passwd["appsvc"], group["appsvc"])
	}
}
