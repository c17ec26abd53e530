package tartree

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/sys/unix"
)

// paxXattrPrefix is the PAX record namespace that GNU tar (--xattrs),
// containerd, Docker and LXD read extended attributes from.
const paxXattrPrefix = "SCHILY.xattr."

// keepXattr says which extended attributes belong in an image.
// security.capability carries file capabilities (ping, for example, needs
// cap_net_raw) and user.* is the application's own data. The rest describes
// the build host rather than the image: trusted.* is overlayfs and daemon
// bookkeeping readable only with CAP_SYS_ADMIN, security.selinux labels come
// from the host's policy, and POSIX ACLs (system.*) are not kept by Debian
// packages.
func keepXattr(name string) bool {
	return name == "security.capability" || strings.HasPrefix(name, "user.")
}

// xattrRecords returns the kept extended attributes of path (not following
// a symlink) as PAX records, or nil when there are none or the filesystem
// does not support them.
func xattrRecords(path string) (map[string]string, error) {
	names, err := listXattrs(path)
	if err != nil || len(names) == 0 {
		return nil, err
	}
	var recs map[string]string
	for _, name := range names {
		if !keepXattr(name) {
			continue
		}
		val, ok, err := getXattr(path, name)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		if recs == nil {
			recs = make(map[string]string)
		}
		recs[paxXattrPrefix+name] = string(val)
	}
	return recs, nil
}

// listXattrs returns the attribute names of path. The size query and the
// read are two calls, so a list that grows in between is retried.
func listXattrs(path string) ([]string, error) {
	for range 4 {
		size, err := unix.Llistxattr(path, nil)
		if err != nil {
			if unsupported(err) {
				return nil, nil
			}
			return nil, fmt.Errorf("list extended attributes of %s: %w", path, err)
		}
		if size == 0 {
			return nil, nil
		}
		buf := make([]byte, size)
		n, err := unix.Llistxattr(path, buf)
		if errors.Is(err, unix.ERANGE) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("list extended attributes of %s: %w", path, err)
		}
		var names []string
		for _, b := range bytes.Split(buf[:n], []byte{0}) {
			if len(b) > 0 {
				names = append(names, string(b))
			}
		}
		return names, nil
	}
	return nil, fmt.Errorf("list extended attributes of %s: list keeps changing", path)
}

// getXattr reads one attribute; ok is false when it vanished meanwhile.
func getXattr(path, name string) (val []byte, ok bool, err error) {
	for range 4 {
		size, err := unix.Lgetxattr(path, name, nil)
		if errors.Is(err, unix.ENODATA) {
			return nil, false, nil
		}
		if err != nil {
			return nil, false, fmt.Errorf("read extended attribute %s of %s: %w", name, path, err)
		}
		buf := make([]byte, size)
		n, err := unix.Lgetxattr(path, name, buf)
		if errors.Is(err, unix.ERANGE) {
			continue
		}
		if errors.Is(err, unix.ENODATA) {
			return nil, false, nil
		}
		if err != nil {
			return nil, false, fmt.Errorf("read extended attribute %s of %s: %w", name, path, err)
		}
		return buf[:n], true, nil
	}
	return nil, false, fmt.Errorf("read extended attribute %s of %s: value keeps changing", name, path)
}

func unsupported(err error) bool {
	return errors.Is(err, unix.ENOTSUP) || errors.Is(err, unix.EOPNOTSUPP)
}
