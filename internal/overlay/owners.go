package overlay

import (
	"bufio"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/kilnhq/kiln/internal/treefs"
)

// OwnersByName returns an ApplyOptions.Owners that gives a member the uid
// (gid) that its owner's name has in the tree at root, from the tree's
// /etc/passwd and /etc/group, and keeps the number when the name is unknown
// there or the member has none: what tar does without --numeric-owner.
// System accounts are allocated by packages in installation order, so
// "postgres" may be 105 on the scanned machine and 107 in the new tree.
// A tree without those files maps nothing.
func OwnersByName(root string) (func(uname, gname string, uid, gid int) (int, int), error) {
	users, err := readIDs(root, "passwd")
	if err != nil {
		return nil, err
	}
	groups, err := readIDs(root, "group")
	if err != nil {
		return nil, err
	}
	return func(uname, gname string, uid, gid int) (int, int) {
		if id, ok := users[uname]; ok && uname != "" {
			uid = id
		}
		if id, ok := groups[gname]; ok && gname != "" {
			gid = id
		}
		return uid, gid
	}, nil
}

// readIDs reads name → id from the tree's /etc/<file> (passwd or group: the
// id is the third field of both), resolving /etc inside the tree.
func readIDs(root, file string) (map[string]int, error) {
	tree, err := treefs.Open(root)
	if err != nil {
		return nil, fmt.Errorf("owners: %w", err)
	}
	defer tree.Close()
	ids := map[string]int{}
	f, err := tree.OpenFile("/etc/"+file, unix.O_RDONLY|unix.O_NOFOLLOW, 0)
	if errors.Is(err, unix.ENOENT) {
		return ids, nil
	}
	if err != nil {
		return nil, fmt.Errorf("owners: %s: %w", root, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20) // group lines list members
	for sc.Scan() {
		fields := strings.SplitN(sc.Text(), ":", 4)
		if len(fields) < 3 || fields[0] == "" || strings.ContainsAny(fields[0][:1], "#+-") { // comments, NIS compat
			continue
		}
		id, err := strconv.Atoi(fields[2])
		if err != nil || id < 0 || id > maxID {
			continue
		}
		if _, seen := ids[fields[0]]; !seen { // the first entry wins, as for getpwnam
			ids[fields[0]] = id
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("owners: read /etc/%s of %s: %w", file, root, err)
	}
	return ids, nil
}
