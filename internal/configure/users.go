package configure

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"time"

	"github.com/kilnhq/kiln/internal/auth"
	"github.com/kilnhq/kiln/internal/spec"
)

// homeMode is adduser's DIR_MODE since bookworm: homes are private.
const homeMode fs.FileMode = 0o700

// configureAccounts sets root's password and creates the spec's groups and users.
func configureAccounts(t tree, in spec.Install, now time.Time) error {
	a, err := loadAccounts(t)
	if err != nil {
		return err
	}
	// Root: a given hash wins, then a password to hash; otherwise locked ("!"), so
	// only SSH keys (or the console of a rescue boot) get in.
	rootHash, err := passwordHash(in.RootPasswordHash, in.RootPassword, "!")
	if err != nil {
		return fmt.Errorf("root password: %w", err)
	}
	if find(a.passwd, "root") == nil {
		return fmt.Errorf("/etc/passwd has no root account")
	}
	a.setShadow("root", rootHash, now)

	for _, g := range in.Groups {
		if g.IfMissing && find(a.group, g.Name) != nil {
			continue // a package made it: its gid wins, files are mapped by name
		}
		gid := g.GID
		if g.IfMissing && usedIDs(a.group, 2)[gid] {
			// The image gave the source's gid to another group: take a free
			// system gid; the overlay maps owners by name and the fidelity
			// report names the change.
			gid = 0
		}
		if _, err := a.addGroup(g.Name, gid, g.System); err != nil {
			return err
		}
	}
	type homeJob struct {
		u    newUser
		keys []string
	}
	var homes []homeJob
	var sudoers []string
	for i, su := range in.Users {
		if su.IfMissing && find(a.passwd, su.Name) != nil {
			continue // a package made it: its uid wins, files are mapped by name
		}
		if su.IfMissing && usedIDs(a.passwd, 2)[su.UID] {
			su.UID = 0 // as for groups: a free system uid, named in the fidelity report
		}
		u, err := resolveUser(a, su)
		if err != nil {
			return fmt.Errorf("user %s: %w", su.Name, err)
		}
		// A recreated account's home is the overlay's to bring, with the
		// source's content; its passwd line only names it.
		makesHome := !su.IfMissing && (!su.System || su.Home != "")
		if makesHome {
			// Checked before anything is written: a home through a link
			// would be confined to the tree, but not where the profile says.
			if err := t.CheckNoLinks(u.home); err != nil {
				return fmt.Errorf("install.users[%d].home: %w", i, err)
			}
		}
		if err := a.addUser(u, now); err != nil {
			return err
		}
		for _, g := range su.Groups {
			if err := a.addMember(g, su.Name); err != nil {
				return fmt.Errorf("user %s: %w", su.Name, err)
			}
		}
		if makesHome {
			homes = append(homes, homeJob{u, su.SSHKeys})
		}
		if su.Sudo {
			sudoers = append(sudoers, su.Name)
		}
	}
	if err := a.save(t); err != nil {
		return err
	}
	for _, h := range homes {
		if err := makeHome(t, h.u); err != nil {
			return fmt.Errorf("user %s: %w", h.u.name, err)
		}
		if len(h.keys) > 0 {
			if err := writeAuthorizedKeys(t, h.u.home, owner{h.u.uid, h.u.gid}, h.keys); err != nil {
				return fmt.Errorf("user %s: %w", h.u.name, err)
			}
		}
	}
	if len(in.RootSSHKeys) > 0 {
		if err := writeAuthorizedKeys(t, "/root", rootOwner, in.RootSSHKeys); err != nil {
			return fmt.Errorf("root: %w", err)
		}
	}
	for _, name := range sudoers {
		// Validated names only ([a-z_][a-z0-9_-]*), so the file name and rule are safe.
		rule := fmt.Sprintf("# Written by Kiln: passwordless sudo for %s.\n%s ALL=(ALL:ALL) NOPASSWD:ALL\n", name, name)
		if err := t.writeFile("/etc/sudoers.d/kiln-"+name, []byte(rule), 0o440, rootOwner); err != nil {
			return err
		}
	}
	return nil
}

// passwordHash picks the crypt(3) string for shadow.
func passwordHash(hash, password, fallback string) (string, error) {
	switch {
	case hash != "":
		if strings.ContainsAny(hash, ":\n") {
			return "", fmt.Errorf("password hash contains ':' or a newline")
		}
		return hash, nil
	case password != "":
		return auth.ShadowHash(password)
	}
	return fallback, nil
}

// resolveUser allocates ids and fills defaults. A user without a primary group gets
// a user-private group of its own name, with gid = uid when that is free.
func resolveUser(a *accounts, su spec.User) (newUser, error) {
	u := newUser{name: su.Name, uid: su.UID, home: su.Home, shell: su.Shell}
	if strings.ContainsAny(su.FullName, ":\n,") {
		return u, fmt.Errorf("full name must not contain ':', ',' or newlines")
	}
	u.gecos = su.FullName
	if u.gecos != "" {
		u.gecos += ",,,"
	}
	if u.home == "" {
		u.home = "/home/" + su.Name
		if su.System {
			u.home = "/nonexistent"
		}
	}
	if u.shell == "" {
		u.shell = "/bin/bash"
		if su.System {
			u.shell = "/usr/sbin/nologin"
		}
	}
	used := usedIDs(a.passwd, 2)
	if u.uid == 0 {
		var err error
		if u.uid, err = allocate(used, su.System); err != nil {
			return u, err
		}
	} else if used[u.uid] {
		return u, fmt.Errorf("uid %d is already used by %s", u.uid, ownerOf(a.passwd, u.uid))
	}
	// Nobody (65534) is never allocated: allocate stops at 59999.
	if su.PrimaryGroup != "" {
		g := find(a.group, su.PrimaryGroup)
		if g == nil {
			return u, fmt.Errorf("primary group %s does not exist", su.PrimaryGroup)
		}
		fmt.Sscan(g[2], &u.gid)
	} else {
		gid := 0
		if !usedIDs(a.group, 2)[u.uid] {
			gid = u.uid
		}
		var err error
		if u.gid, err = a.addGroup(su.Name, gid, su.System); err != nil {
			return u, err
		}
	}
	// Accounts without a password get "*": no password login, but (unlike "!")
	// sshd never treats "*" as a locked account, whatever UsePAM says.
	hash, err := passwordHash(su.PasswordHash, su.Password, "*")
	if err != nil {
		return u, err
	}
	u.hash = hash
	return u, nil
}

// makeHome creates the home directory with /etc/skel's content, owned by the user.
func makeHome(t tree, u newUser) error {
	o := owner{u.uid, u.gid}
	if t.exists(u.home) {
		return fmt.Errorf("home %s already exists", u.home)
	}
	if err := t.mkdirAll(path.Dir(u.home), 0o755, rootOwner); err != nil {
		return err
	}
	if err := t.mkdir(u.home, homeMode, o); err != nil {
		return err
	}
	return copySkel(t, "/etc/skel", u.home, o)
}

// copySkel copies the directory src (/etc/skel, then its subdirectories) into
// dst, everything owned by o. A tree without /etc/skel gives an empty home.
func copySkel(t tree, src, dst string, o owner) error {
	ents, err := t.ReadDir(src)
	if errors.Is(err, fs.ErrNotExist) && src == "/etc/skel" {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range ents {
		from, to := path.Join(src, e.Name()), path.Join(dst, e.Name())
		info, err := e.Info()
		if err != nil {
			return err
		}
		switch {
		case e.IsDir():
			if err := t.mkdir(to, info.Mode().Perm(), o); err != nil {
				return err
			}
			if err := copySkel(t, from, to, o); err != nil {
				return err
			}
		case e.Type().IsRegular():
			data, err := t.ReadFile(from)
			if err != nil {
				return err
			}
			if err := t.WriteFileOwned(to, data, info.Mode().Perm(), o.uid, o.gid); err != nil {
				return err
			}
		case e.Type()&fs.ModeSymlink != 0:
			target, err := t.Readlink(from)
			if err != nil {
				return err
			}
			if err := t.symlink(target, to); err != nil {
				return err
			}
			if err := t.Lchown(to, o.uid, o.gid); err != nil {
				return err
			}
		}
		// Sockets, devices: nothing of the kind belongs in skel.
	}
	return nil
}

// writeAuthorizedKeys writes ~/.ssh/authorized_keys (0600) in a 0700 ~/.ssh, both
// owned by the account: sshd's StrictModes refuses anything looser.
func writeAuthorizedKeys(t tree, home string, o owner, keys []string) error {
	dir := path.Join(home, ".ssh")
	if err := t.mkdir(dir, 0o700, o); err != nil {
		return err
	}
	var b strings.Builder
	for _, k := range keys {
		k = strings.TrimSpace(k)
		if strings.ContainsAny(k, "\r\n") {
			return fmt.Errorf("SSH key contains a newline")
		}
		b.WriteString(k)
		b.WriteByte('\n')
	}
	return t.writeFile(path.Join(dir, "authorized_keys"), []byte(b.String()), 0o600, o)
}
