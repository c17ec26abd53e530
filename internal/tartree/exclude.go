package tartree

import (
	"io/fs"
	"strings"
)

// ContainerExclude is an Options.Exclude for container images. It keeps
// /dev, /proc, /sys, /run, /tmp and /boot as empty directories, and drops
// the apt caches that only cost space: downloaded packages
// (/var/cache/apt/archives/*.deb) and package lists (every file below
// /var/lib/apt/lists). Directories below those two are kept, since apt
// expects its "partial" directories to exist.
func ContainerExclude(rel string, d fs.DirEntry) bool {
	// These stay as empty directories, with their own mode (/tmp's sticky
	// bit included): the runtime mounts /dev, /proc, /sys and /run, /tmp
	// starts empty, and /boot would only hold a kernel and initramfs that a
	// container never boots.
	for _, dir := range [...]string{"/dev/", "/proc/", "/sys/", "/run/", "/tmp/", "/boot/"} {
		if strings.HasPrefix(rel, dir) {
			return true
		}
	}
	if d.IsDir() {
		return false
	}
	if strings.HasPrefix(rel, "/var/lib/apt/lists/") {
		return true
	}
	return strings.HasPrefix(rel, "/var/cache/apt/archives/") && strings.HasSuffix(rel, ".deb")
}
