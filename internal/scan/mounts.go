package scan

import (
	"fmt"
	"os"
	"strings"
)

// mount is one line of /proc/self/mountinfo.
type mount struct {
	MountPoint string
	FSType     string
}

// readMountinfo lists the mounts of the running system (live scans only).
func readMountinfo() ([]mount, error) {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil, fmt.Errorf("read mountinfo: %w", err)
	}
	var out []mount
	for _, line := range strings.Split(string(data), "\n") {
		// id parent major:minor root mountpoint options [optional…] - fstype source …
		f := strings.Fields(line)
		if len(f) < 5 {
			continue
		}
		m := mount{MountPoint: unescapeOctal(f[4])}
		for i := 5; i+1 < len(f); i++ {
			if f[i] == "-" {
				m.FSType = f[i+1]
				break
			}
		}
		out = append(out, m)
	}
	return out, nil
}

// diskFilesystem reports whether an fstab type stores local files worth scanning
// (not memory, kernel views, or network shares another machine owns).
func diskFilesystem(fstype string) bool {
	switch fstype {
	case "ext2", "ext3", "ext4", "xfs", "btrfs", "vfat", "exfat", "f2fs", "jfs", "reiserfs", "ntfs", "ntfs3", "zfs":
		return true
	}
	return false
}
