package rootfs

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/sys/unix"
)

// mmdebstrap --mode=root mounts /proc, /sys, /dev/pts and the host's /dev/shm inside
// the chroot while it runs. If it dies without unmounting (SIGKILL after a cancel),
// a plain recursive delete of the tree would walk into those mounts and delete the
// host's /dev/shm. Every removal of a tree therefore detaches what is mounted
// below it first, and refuses to delete while anything stays mounted.

// mountsUnder lists the mount points at or below dir, deepest first.
func mountsUnder(dir string) ([]string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			continue
		}
		mp := unescapeMountinfo(fields[4])
		if mp == dir || strings.HasPrefix(mp, dir+"/") {
			out = append(out, mp)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out, nil
}

// unescapeMountinfo decodes the octal escapes (\040 for space …) of mountinfo.
func unescapeMountinfo(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			var c byte
			if _, err := fmt.Sscanf(s[i+1:i+4], "%03o", &c); err == nil {
				b.WriteByte(c)
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// removeAllSafe detaches every mount below path, then deletes path.
func removeAllSafe(path string) error {
	if path == "" {
		return nil
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	if abs == "/" {
		return fmt.Errorf("refusing to remove /")
	}
	mps, err := mountsUnder(abs)
	if err != nil {
		return fmt.Errorf("list mounts under %s: %w", abs, err)
	}
	for _, mp := range mps {
		if err := unix.Unmount(mp, unix.MNT_DETACH); err != nil {
			return fmt.Errorf("unmount %s (left behind by a killed bootstrap): %w", mp, err)
		}
	}
	if left, err := mountsUnder(abs); err != nil || len(left) > 0 {
		return fmt.Errorf("not removing %s: still mounted below it: %v (%v)", abs, left, err)
	}
	return os.RemoveAll(abs)
}
