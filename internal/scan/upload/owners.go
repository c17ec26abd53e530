package upload

import (
	"bufio"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// maxAccountFile bounds /etc/passwd and /etc/group: they are read whole into
// maps, and the scanned machine may hold anything at those paths.
const maxAccountFile = 16 << 20

// owners maps numeric ids to the names of the SCANNED system (not the host
// running the agent: an offline scan of a mounted image has its own accounts).
// The server maps owners by name, because the rebuilt system may number them
// differently.
type owners struct {
	users, groups map[int]string
}

// readOwners reads root's /etc/passwd and /etc/group. A missing or unreadable
// file only costs the names (ids are archived anyway): the problem is returned
// for the caller to log.
func readOwners(root string) (owners, []error) {
	var errs []error
	o := owners{users: map[int]string{}, groups: map[int]string{}}
	for _, f := range []struct {
		path string
		m    map[int]string
	}{{"/etc/passwd", o.users}, {"/etc/group", o.groups}} {
		if err := readIDNames(root, f.path, f.m); err != nil {
			errs = append(errs, err)
		}
	}
	return o, errs
}

// readIDNames fills m from a colon file whose fields 1 and 3 are name and id.
// The first name of an id wins, as getpwuid(3) answers.
func readIDNames(root, p string, m map[int]string) error {
	host, err := resolveInRoot(root, p)
	if err != nil {
		return fmt.Errorf("%s: %w", p, err)
	}
	f, err := os.OpenFile(host, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return fmt.Errorf("%s: %w", p, err)
	}
	defer f.Close()
	if info, err := f.Stat(); err != nil || !info.Mode().IsRegular() {
		return fmt.Errorf("%s: not a regular file", p)
	}
	sc := bufio.NewScanner(io.LimitReader(f, maxAccountFile))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		fields := strings.Split(sc.Text(), ":")
		if len(fields) < 3 || fields[0] == "" || strings.HasPrefix(fields[0], "#") {
			continue
		}
		id, err := strconv.Atoi(fields[2])
		if err != nil || id < 0 {
			continue
		}
		if _, dup := m[id]; !dup {
			m[id] = fields[0]
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: %w", p, err)
	}
	return nil
}

// maxSymlinkHops bounds resolution like the kernel's ELOOP limit.
const maxSymlinkHops = 40

// resolveInRoot returns the host path of p (absolute inside the scanned
// system), its symlinks resolved as the scanned system would: absolute targets
// start again at root, ".." stops at root. An offline scan must never read the
// host's own /etc/passwd through a link in the image.
func resolveInRoot(root, p string) (string, error) {
	todo := strings.Split(strings.Trim(p, "/"), "/")
	cur := "/"
	for hops := 0; len(todo) > 0; {
		comp := todo[0]
		todo = todo[1:]
		switch comp {
		case "", ".":
			continue
		case "..":
			cur = path.Dir(cur)
			continue
		}
		next := path.Join(cur, comp)
		host := filepath.Join(root, filepath.FromSlash(next))
		info, err := os.Lstat(host)
		if err != nil || info.Mode()&fs.ModeSymlink == 0 {
			cur = next
			continue
		}
		if hops++; hops > maxSymlinkHops {
			return "", fmt.Errorf("too many levels of symbolic links")
		}
		target, err := os.Readlink(host)
		if err != nil {
			return "", err
		}
		if strings.HasPrefix(target, "/") {
			cur = "/"
		}
		todo = append(strings.Split(strings.Trim(target, "/"), "/"), todo...)
	}
	return filepath.Join(root, filepath.FromSlash(cur)), nil
}
