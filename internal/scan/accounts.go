package scan

import (
	"errors"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/kilnhq/kiln/internal/record"
)

// Debian's account ranges (adduser.conf): dynamic system accounts below 1000,
// nobody/nogroup at 65534 and reserved ids above.
const (
	firstUserID = 1000
	nobodyID    = 65534
)

func isSystemID(id int) bool { return id < firstUserID || id >= nobodyID }

// readAccounts fills users, groups, the root password and the SSH keys.
func readAccounts(t *tree, p *record.ScanProfile, n *notes) {
	groups := readGroups(t, n)
	gidName := map[int]string{}
	memberOf := map[string][]string{}
	for _, g := range groups {
		if _, dup := gidName[g.GID]; !dup {
			gidName[g.GID] = g.Name
		}
		for _, m := range g.Members {
			memberOf[m] = append(memberOf[m], g.Name)
		}
	}
	hashes := readShadow(t, n)
	for _, u := range readPasswd(t, n) {
		u.PrimaryGroup = gidName[u.GID]
		u.Groups = memberOf[u.Name]
		slices.Sort(u.Groups)
		u.Groups = slices.Compact(u.Groups)
		u.PasswordHash = hashes[u.Name]
		u.SSHKeys = readAuthorizedKeys(t, u.Home, n)
		if u.UID == 0 && u.Name == "root" {
			p.RootPasswordHash = u.PasswordHash
			p.RootSSHKeys = u.SSHKeys
		}
		p.Users = append(p.Users, u)
	}
	p.Groups = groups
}

// colonFile splits a passwd-style file into rows, skipping comments, blank lines
// and NIS "+"/"-" entries (they name no local account).
func colonFile(t *tree, file string, minFields int, n *notes) [][]string {
	data, err := t.readFile(file)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			n.add("accounts: %s unreadable: %v", file, err)
		} else if file != "/etc/shadow" {
			n.add("accounts: no %s", file)
		}
		return nil
	}
	var rows [][]string
	for i, line := range strings.Split(string(data), "\n") {
		if line == "" || line[0] == '#' || line[0] == '+' || line[0] == '-' {
			continue
		}
		f := strings.Split(line, ":")
		if len(f) < minFields || f[0] == "" {
			n.add("accounts: %s line %d: %d fields, want %d: ignored", file, i+1, len(f), minFields)
			continue
		}
		rows = append(rows, f)
	}
	return rows
}

func readPasswd(t *tree, n *notes) []record.ScanUser {
	var users []record.ScanUser
	for _, f := range colonFile(t, "/etc/passwd", 7, n) {
		uid, err1 := strconv.Atoi(f[2])
		gid, err2 := strconv.Atoi(f[3])
		if err1 != nil || err2 != nil || uid < 0 || gid < 0 {
			n.add("accounts: /etc/passwd: %s has a bad uid or gid: ignored", f[0])
			continue
		}
		users = append(users, record.ScanUser{
			Name:     f[0],
			UID:      uid,
			GID:      gid,
			Gecos:    f[4],
			FullName: strings.SplitN(f[4], ",", 2)[0],
			Home:     f[5],
			Shell:    f[6],
			System:   isSystemID(uid),
		})
	}
	return users
}

func readGroups(t *tree, n *notes) []record.ScanGroup {
	var groups []record.ScanGroup
	for _, f := range colonFile(t, "/etc/group", 4, n) {
		gid, err := strconv.Atoi(f[2])
		if err != nil || gid < 0 {
			n.add("accounts: /etc/group: %s has a bad gid: ignored", f[0])
			continue
		}
		g := record.ScanGroup{Name: f[0], GID: gid, System: isSystemID(gid)}
		for _, m := range strings.Split(f[3], ",") {
			if m = strings.TrimSpace(m); m != "" {
				g.Members = append(g.Members, m)
			}
		}
		groups = append(groups, g)
	}
	return groups
}

// readShadow maps account names to password hashes. Not being able to read it
// (an unprivileged agent) loses the passwords, not the scan.
func readShadow(t *tree, n *notes) map[string]string {
	hashes := map[string]string{}
	for _, f := range colonFile(t, "/etc/shadow", 2, n) {
		hashes[f[0]] = f[1]
	}
	return hashes
}

// readAuthorizedKeys returns the keys of HOME/.ssh/authorized_keys (resolved
// inside the scanned tree), without comments and blank lines.
func readAuthorizedKeys(t *tree, home string, n *notes) []string {
	if !strings.HasPrefix(home, "/") {
		return nil
	}
	file := path.Join(home, ".ssh/authorized_keys")
	data, err := t.readFile(file)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) {
			n.add("accounts: %s unreadable: %v", file, err)
		}
		return nil
	}
	var keys []string
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line != "" && line[0] != '#' {
			keys = append(keys, line)
		}
	}
	return keys
}
