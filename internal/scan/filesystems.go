package scan

import (
	"path"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/kilnhq/kiln/internal/record"
)

// fstabEntry is one line of /etc/fstab.
type fstabEntry struct {
	Device, MountPoint, FSType, Options string
}

// readFstab parses /etc/fstab; fields use fstab's octal escapes (\040 = space).
func readFstab(t *tree, n *notes) []fstabEntry {
	var out []fstabEntry
	for i, line := range strings.Split(string(readOptional(t, "/etc/fstab", n)), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 3 {
			n.add("/etc/fstab line %d: fewer than 3 fields: ignored", i+1)
			continue
		}
		e := fstabEntry{Device: unescapeOctal(f[0]), MountPoint: unescapeOctal(f[1]), FSType: f[2]}
		if len(f) > 3 {
			e.Options = f[3]
		}
		if e.MountPoint != "none" && e.MountPoint != "/" {
			e.MountPoint = path.Clean(e.MountPoint)
		}
		out = append(out, e)
	}
	return out
}

// unescapeOctal decodes the \NNN escapes of fstab, /proc/swaps and mountinfo.
func unescapeOctal(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// readFilesystems returns the fstab filesystems with their sizes and the swap
// areas. Sizes are measured where they mean something: each mounted filesystem on
// a live system, only the scanned root offline (a tree may sit in a directory of
// a bigger filesystem: then the size is that filesystem's).
func readFilesystems(t *tree, n *notes) ([]record.ScanFilesystem, []record.ScanSwap) {
	fstab := readFstab(t, n)
	var mounted map[string]bool
	if t.live {
		mounted = map[string]bool{}
		mounts, err := readMountinfo()
		if err != nil {
			n.add("mounts: %v", err)
		}
		for _, m := range mounts {
			mounted[m.MountPoint] = true
		}
	}
	var fss []record.ScanFilesystem
	var swaps []record.ScanSwap
	if !slices.ContainsFunc(fstab, func(e fstabEntry) bool { return e.MountPoint == "/" }) {
		// An fstab without "/" (containers, "UNCONFIGURED FSTAB" installs) still
		// has a root whose size the image needs.
		root := fstabEntry{MountPoint: "/"}
		if t.live {
			mounts, _ := readMountinfo()
			for _, m := range mounts {
				if m.MountPoint == "/" {
					root.FSType = m.FSType // the last mount on "/" is the visible one
				}
			}
		}
		fstab = append([]fstabEntry{root}, fstab...)
	}
	for _, e := range fstab {
		if e.FSType == "swap" {
			swaps = append(swaps, fstabSwap(t, e))
			continue
		}
		fs := record.ScanFilesystem{Device: e.Device, MountPoint: e.MountPoint, FSType: e.FSType, Options: e.Options}
		switch {
		case t.live && (mounted[e.MountPoint] || e.MountPoint == "/"):
			fs.SizeBytes, fs.UsedBytes = statfsSizes(e.MountPoint)
		case !t.live && e.MountPoint == "/":
			fs.SizeBytes, fs.UsedBytes = statfsSizes(t.root)
		}
		fss = append(fss, fs)
	}
	if t.live {
		if live, ok := readProcSwaps(t, n); ok {
			swaps = live
		}
	}
	return fss, swaps
}

// fstabSwap describes a swap line of fstab; a swap file's size is its length.
func fstabSwap(t *tree, e fstabEntry) record.ScanSwap {
	s := record.ScanSwap{Source: e.Device}
	if strings.HasPrefix(e.Device, "/") && !strings.HasPrefix(e.Device, "/dev/") {
		s.File = true
		if info, err := t.lstat(e.Device); err == nil && info.Mode().IsRegular() {
			s.SizeBytes = info.Size()
		}
	}
	return s
}

// readProcSwaps reads the active swap areas of the running system (sizes in KiB).
func readProcSwaps(t *tree, n *notes) ([]record.ScanSwap, bool) {
	data := readOptional(t, "/proc/swaps", n)
	if data == nil {
		return nil, false
	}
	var out []record.ScanSwap
	for i, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if i == 0 || len(f) < 3 {
			continue // header
		}
		kb, _ := strconv.ParseInt(f[2], 10, 64)
		out = append(out, record.ScanSwap{Source: unescapeOctal(f[0]), File: f[1] == "file", SizeBytes: kb * 1024})
	}
	return out, true
}

// swapFiles are the in-tree paths of swap files (fstab, and /proc/swaps when
// live): their content is scratch memory, never part of an overlay.
func swapFiles(t *tree, n *notes) []string {
	var swaps []record.ScanSwap
	for _, e := range readFstab(t, n) {
		if e.FSType == "swap" {
			swaps = append(swaps, fstabSwap(t, e))
		}
	}
	if t.live {
		live, _ := readProcSwaps(t, n)
		swaps = append(swaps, live...)
	}
	var out []string
	for _, s := range swaps {
		if s.File {
			out = append(out, path.Clean(s.Source))
		}
	}
	return out
}

// statfsSizes returns the size and used bytes of the filesystem holding hostPath.
func statfsSizes(hostPath string) (size, used int64) {
	var st unix.Statfs_t
	if err := unix.Statfs(hostPath, &st); err != nil {
		return 0, 0
	}
	bs := int64(st.Bsize)
	return int64(st.Blocks) * bs, int64(st.Blocks-st.Bfree) * bs
}
