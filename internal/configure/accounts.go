package configure

import (
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"time"
)

// accounts is /etc/passwd, /etc/shadow, /etc/group and /etc/gshadow held as rows
// of colon-separated fields, edited together and written back together so that
// the four files always agree (what useradd does, without running it in a chroot).
type accounts struct {
	passwd, shadow, group, gshadow [][]string
}

const (
	firstUserID   = 1000
	lastUserID    = 59999 // login.defs UID_MAX
	firstSystemID = 100   // login.defs SYS_UID_MIN
	lastSystemID  = 999   // login.defs SYS_UID_MAX
	shadowGroup   = "shadow"
	shadowGID     = 42 // Debian's fixed gid for group shadow
)

func loadAccounts(t tree) (*accounts, error) {
	a := &accounts{}
	for _, f := range []struct {
		path     string
		fields   int
		dst      *[][]string
		optional bool
	}{
		{"/etc/passwd", 7, &a.passwd, false},
		{"/etc/shadow", 9, &a.shadow, false},
		{"/etc/group", 4, &a.group, false},
		{"/etc/gshadow", 4, &a.gshadow, true},
	} {
		data, err := t.readFile(f.path, f.optional)
		if err != nil {
			return nil, err
		}
		for i, l := range lines(data) {
			if strings.TrimSpace(l) == "" {
				continue
			}
			row := strings.Split(l, ":")
			if len(row) != f.fields {
				return nil, fmt.Errorf("%s line %d: %d fields, want %d", f.path, i+1, len(row), f.fields)
			}
			*f.dst = append(*f.dst, row)
		}
	}
	return a, nil
}

func (a *accounts) save(t tree) error {
	shadowG := shadowGID
	if g := find(a.group, shadowGroup); g != nil {
		if n, err := strconv.Atoi(g[2]); err == nil {
			shadowG = n
		}
	}
	for _, f := range []struct {
		path string
		rows [][]string
		o    owner
		mode fs.FileMode
	}{
		{"/etc/passwd", a.passwd, rootOwner, 0o644},
		{"/etc/group", a.group, rootOwner, 0o644},
		{"/etc/shadow", a.shadow, owner{0, shadowG}, 0o640},
		{"/etc/gshadow", a.gshadow, owner{0, shadowG}, 0o640},
	} {
		var b strings.Builder
		for _, r := range f.rows {
			b.WriteString(strings.Join(r, ":"))
			b.WriteByte('\n')
		}
		if err := t.writeFile(f.path, []byte(b.String()), f.mode, f.o); err != nil {
			return err
		}
	}
	return nil
}

func find(rows [][]string, name string) []string {
	for _, r := range rows {
		if r[0] == name {
			return r
		}
	}
	return nil
}

// usedIDs collects the ids in column col of rows.
func usedIDs(rows [][]string, col int) map[int]bool {
	m := map[int]bool{}
	for _, r := range rows {
		if n, err := strconv.Atoi(r[col]); err == nil {
			m[n] = true
		}
	}
	return m
}

// ownerOf names the first row of rows (passwd or group) with id id: what an
// error must name when an id the profile asks for is taken.
func ownerOf(rows [][]string, id int) string {
	for _, r := range rows {
		if n, err := strconv.Atoi(r[2]); err == nil && n == id {
			return r[0]
		}
	}
	return "?"
}

// allocate returns the first id not in used: upwards from 1000 for accounts,
// downwards from 999 for system accounts (as adduser does).
func allocate(used map[int]bool, system bool) (int, error) {
	if system {
		for id := lastSystemID; id >= firstSystemID; id-- {
			if !used[id] {
				return id, nil
			}
		}
	} else {
		for id := firstUserID; id <= lastUserID; id++ {
			if !used[id] {
				return id, nil
			}
		}
	}
	return 0, fmt.Errorf("no free id left")
}

// addGroup creates a group (or accepts an existing one with a compatible gid) and
// returns its gid.
func (a *accounts) addGroup(name string, gid int, system bool) (int, error) {
	if g := find(a.group, name); g != nil {
		have, _ := strconv.Atoi(g[2])
		if gid != 0 && gid != have {
			return 0, fmt.Errorf("group %s already exists with gid %d, not %d", name, have, gid)
		}
		return have, nil
	}
	used := usedIDs(a.group, 2)
	if gid == 0 {
		var err error
		if gid, err = allocate(used, system); err != nil {
			return 0, fmt.Errorf("group %s: %w", name, err)
		}
	} else if used[gid] {
		return 0, fmt.Errorf("group %s: gid %d is already used by group %s", name, gid, ownerOf(a.group, gid))
	}
	a.group = append(a.group, []string{name, "x", strconv.Itoa(gid), ""})
	a.gshadow = append(a.gshadow, []string{name, "!", "", ""})
	return gid, nil
}

// addMember adds user to the member lists of group in /etc/group and /etc/gshadow.
func (a *accounts) addMember(group, user string) error {
	g := find(a.group, group)
	if g == nil {
		return fmt.Errorf("group %s does not exist", group)
	}
	g[3] = addToList(g[3], user)
	if gs := find(a.gshadow, group); gs != nil {
		gs[3] = addToList(gs[3], user)
	} else {
		a.gshadow = append(a.gshadow, []string{group, "!", "", user})
	}
	return nil
}

func addToList(list, name string) string {
	var members []string
	if list != "" {
		members = strings.Split(list, ",")
	}
	if slices.Contains(members, name) {
		return list
	}
	return strings.Join(append(members, name), ",")
}

// newUser is a resolved account, ready to write.
type newUser struct {
	name, gecos, home, shell, hash string
	uid, gid                       int
}

// addUser appends the passwd and shadow rows of u.
func (a *accounts) addUser(u newUser, now time.Time) error {
	if find(a.passwd, u.name) != nil {
		return fmt.Errorf("user %s already exists in the base system", u.name)
	}
	a.passwd = append(a.passwd, []string{u.name, "x", strconv.Itoa(u.uid), strconv.Itoa(u.gid), u.gecos, u.home, u.shell})
	a.setShadow(u.name, u.hash, now)
	return nil
}

// setShadow sets the password hash of name (adding its shadow row if missing) and
// the date of the last change (days since the epoch), like passwd(1).
func (a *accounts) setShadow(name, hash string, now time.Time) {
	day := strconv.FormatInt(now.Unix()/86400, 10)
	if s := find(a.shadow, name); s != nil {
		s[1], s[2] = hash, day
		return
	}
	a.shadow = append(a.shadow, []string{name, hash, day, "0", "99999", "7", "", "", ""})
}
