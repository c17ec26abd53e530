package disk

import (
	"fmt"
	"sort"
	"strings"
)

// Fstab returns /etc/fstab for l: every filesystem by UUID, so the table stays
// right whatever the disk is called in the machine that boots it (sda, vda,
// nvme0n1). Root first, then the ESP, then extra filesystems parents before
// children (/var before /var/log), then swap.
func Fstab(l *Layout) string {
	var b strings.Builder
	b.WriteString("# /etc/fstab: written by kiln. Filesystems are named by UUID.\n")
	b.WriteString("# <file system>\t<mount point>\t<type>\t<options>\t<dump>\t<pass>\n")
	if r := l.Root(); r != nil {
		fmt.Fprintf(&b, "UUID=%s\t/\t%s\terrors=remount-ro\t0\t1\n", r.UUID, r.FSType)
	}
	if e := l.ESP(); e != nil {
		// umask=0077: the ESP holds boot code; only root needs to read it.
		fmt.Fprintf(&b, "UUID=%s\t/boot/efi\tvfat\tumask=0077\t0\t1\n", e.UUID)
	}
	var data []Partition
	for _, p := range l.Partitions {
		if p.Role == RoleData {
			data = append(data, p)
		}
	}
	sort.SliceStable(data, func(i, j int) bool {
		return strings.Count(data[i].MountPoint, "/") < strings.Count(data[j].MountPoint, "/")
	})
	for _, p := range data {
		fmt.Fprintf(&b, "UUID=%s\t%s\t%s\tdefaults\t0\t2\n", p.UUID, p.MountPoint, p.FSType)
	}
	for _, p := range l.Partitions {
		if p.Role == RoleSwap {
			fmt.Fprintf(&b, "UUID=%s\tnone\tswap\tsw\t0\t0\n", p.UUID)
		}
	}
	return b.String()
}
