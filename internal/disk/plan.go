package disk

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/kilnhq/kiln/internal/spec"
)

// MiB is the unit of every size in spec.Disk and the alignment of every partition.
const MiB = 1 << 20

// Fixed sizes of the layout, in MiB. spec.Overhead() must equal their sum
// (lead alignment + BIOS boot + ESP + tail reserved for the backup GPT);
// TestOverheadMatchesSpec keeps the two in sync.
const (
	leadMB     = 1  // protective MBR + primary GPT, and 1 MiB alignment of partition 1
	biosBootMB = 1  // GRUB core.img (≈100 KiB) lives here
	espMB      = 64 // FAT32: 64 MiB is the smallest comfortable FAT32 at 512-byte sectors
	tailMB     = 1  // backup GPT (33 sectors), rounded to keep the end aligned
)

// minGrowMB is the smallest size a growing partition may end up with.
const minGrowMB = 16

// Role is what a partition is for.
type Role string

const (
	RoleBIOSBoot Role = "bios-boot" // GRUB's core.img for BIOS boot from GPT
	RoleESP      Role = "esp"       // EFI system partition (FAT32)
	RoleRoot     Role = "root"      // the root filesystem
	RoleData     Role = "data"      // an extra filesystem with its own mount point
	RoleSwap     Role = "swap"      // swap space
)

// GPT partition type GUIDs. Root and the well-known mount points use the
// Discoverable Partitions Specification types so tools recognise them.
var (
	TypeBIOSBoot  = mustParseUUID("21686148-6449-6e6f-744e-656564454649")
	TypeESP       = mustParseUUID("c12a7328-f81f-11d2-ba4b-00a0c93ec93b")
	TypeRootAMD64 = mustParseUUID("4f68bce3-e8cd-4db1-96e7-fbcaf984b709")
	TypeLinuxData = mustParseUUID("0fc63daf-8483-4772-8e79-3d69d8477de4")
	TypeSwap      = mustParseUUID("0657fd6d-a4ab-43c4-84e5-0933c84b4f4f")
	TypeHome      = mustParseUUID("933ac7e1-2eb4-4f13-b844-0e14e2aef915")
	TypeSrv       = mustParseUUID("3b8f8425-20e0-4f3b-907f-1a25a76f98e8")
	TypeVar       = mustParseUUID("4d21b016-b534-45c2-a9fb-5c16e091fd2d")
	TypeVarTmp    = mustParseUUID("7ec6f557-3bc5-4aca-b293-16ef5df639d1")
)

// Partition is one planned (and, after Build, written) partition.
type Partition struct {
	Number     int    `json:"number"`               // 1-based GPT index
	Role       Role   `json:"role"`                 //
	Name       string `json:"name,omitempty"`       // GPT partition name
	MountPoint string `json:"mountPoint,omitempty"` // "/" for root, "/boot/efi" for the ESP, "" for BIOS boot and swap
	FSType     string `json:"fsType,omitempty"`     // "ext4", "ext3", "ext2", "vfat", "swap", or "" (BIOS boot)
	Label      string `json:"label,omitempty"`      // filesystem label
	Offset     int64  `json:"offset"`               // bytes from the start of the disk
	Size       int64  `json:"size"`                 // bytes
	Type       UUID   `json:"type"`                 // GPT partition type
	PartUUID   UUID   `json:"partUUID"`             // GPT unique partition GUID
	// UUID is the filesystem UUID as fstab and blkid spell it: canonical for ext
	// and swap, "XXXX-XXXX" (the volume ID) for FAT, "" for BIOS boot.
	UUID string `json:"uuid,omitempty"`
}

// Layout is a complete disk plan: pure data, computed before anything is written.
type Layout struct {
	Size       int64       `json:"size"` // bytes
	DiskGUID   UUID        `json:"diskGUID"`
	Partitions []Partition `json:"partitions"`
}

// Root returns the root partition.
func (l *Layout) Root() *Partition { return l.byRole(RoleRoot) }

// ESP returns the EFI system partition.
func (l *Layout) ESP() *Partition { return l.byRole(RoleESP) }

// BIOSBoot returns the BIOS boot partition.
func (l *Layout) BIOSBoot() *Partition { return l.byRole(RoleBIOSBoot) }

func (l *Layout) byRole(r Role) *Partition {
	for i := range l.Partitions {
		if l.Partitions[i].Role == r {
			return &l.Partitions[i]
		}
	}
	return nil
}

// Plan computes the layout of d: GPT with 1 BIOS boot, 2 ESP, 3 root, then the
// extra partitions of d.Partitions in order, then a swap partition of d.SwapMB.
// Every partition starts and ends on a MiB boundary; the last MiB holds the
// backup GPT. Identifiers come from rnd (crypto/rand.Reader in production).
func Plan(d spec.Disk, rnd io.Reader) (*Layout, error) {
	avail := d.SizeMB - spec.Overhead()
	if d.SizeMB < spec.MinDiskMB || avail <= 0 {
		return nil, fmt.Errorf("plan disk: %d MiB is too small (minimum %d)", d.SizeMB, spec.MinDiskMB)
	}
	if d.SwapMB < 0 {
		return nil, fmt.Errorf("plan disk: negative swap size %d", d.SwapMB)
	}

	type want struct {
		p      Partition
		sizeMB int64
		grow   bool
	}
	root := want{p: Partition{Role: RoleRoot, Name: "root", MountPoint: "/", FSType: "ext4", Label: "root", Type: TypeRootAMD64}}
	rootGiven := false
	var extras []want
	for i, sp := range d.Partitions {
		fs := sp.FSType
		if fs == "" {
			fs = "ext4"
		}
		switch fs {
		case "linux-swap", "swap":
			if sp.Grow {
				return nil, fmt.Errorf("plan disk: partitions[%d]: a swap partition cannot grow", i)
			}
			extras = append(extras, want{p: Partition{Role: RoleSwap, Name: "swap", FSType: "swap", Label: sp.Label, Type: TypeSwap}, sizeMB: sp.SizeMB})
			continue
		case "ext4", "ext3", "ext2":
		case "xfs":
			// mkfs.xfs cannot be filled from a directory rootlessly in a way GRUB and
			// every supported release read the same; not implemented yet.
			return nil, fmt.Errorf("plan disk: partitions[%d]: fsType xfs is not supported yet (ext4, ext3, ext2, linux-swap)", i)
		default:
			return nil, fmt.Errorf("plan disk: partitions[%d]: unsupported fsType %q", i, sp.FSType)
		}
		mp := path.Clean(sp.MountPoint)
		if !strings.HasPrefix(mp, "/") {
			return nil, fmt.Errorf("plan disk: partitions[%d]: mount point %q is not absolute", i, sp.MountPoint)
		}
		if mp == "/" {
			if rootGiven {
				return nil, fmt.Errorf("plan disk: partitions[%d]: \"/\" is listed twice", i)
			}
			rootGiven = true
			root.p.FSType = fs
			if sp.Label != "" {
				root.p.Label = sp.Label
			}
			root.sizeMB, root.grow = sp.SizeMB, sp.Grow
			continue
		}
		if mp == "/boot/efi" || mp == "/boot" {
			// /boot must stay on the root filesystem: grub.cfg and the early config look there.
			return nil, fmt.Errorf("plan disk: partitions[%d]: %s cannot be a separate partition yet", i, mp)
		}
		for _, e := range extras {
			if e.p.MountPoint == mp {
				return nil, fmt.Errorf("plan disk: partitions[%d]: mount point %s is listed twice", i, mp)
			}
		}
		label := sp.Label
		if label == "" {
			label = defaultLabel(mp)
		}
		extras = append(extras, want{p: Partition{Role: RoleData, Name: label, MountPoint: mp, FSType: fs, Label: label, Type: dataType(mp)}, sizeMB: sp.SizeMB, grow: sp.Grow})
	}
	if d.SwapMB > 0 {
		extras = append(extras, want{p: Partition{Role: RoleSwap, Name: "swap", FSType: "swap", Type: TypeSwap}, sizeMB: d.SwapMB})
	}

	// Who takes the remaining space: the one partition marked grow, else root
	// when no "/" entry gave it a size.
	growers := 0
	for _, w := range append([]want{root}, extras...) {
		if w.grow {
			growers++
		}
	}
	if growers > 1 {
		return nil, errors.New("plan disk: only one partition may grow")
	}
	if growers == 0 && !rootGiven {
		root.grow = true
	}
	if growers == 1 && !rootGiven {
		return nil, errors.New("plan disk: another partition grows, so \"/\" needs an explicit size")
	}
	all := append([]want{root}, extras...)
	var fixed int64
	for i, w := range all {
		if w.grow {
			continue
		}
		if w.sizeMB <= 0 {
			return nil, fmt.Errorf("plan disk: partition %s needs a size", describe(w.p))
		}
		if w.p.Role == RoleSwap && w.sizeMB*MiB < 40<<10 {
			return nil, fmt.Errorf("plan disk: swap partition %d is too small", i)
		}
		fixed += w.sizeMB
	}
	if fixed > avail {
		return nil, fmt.Errorf("plan disk: partitions need %d MiB but a %d MiB disk leaves %d MiB after the boot partitions", fixed, d.SizeMB, avail)
	}
	for i := range all {
		if all[i].grow {
			all[i].sizeMB = avail - fixed
			if all[i].sizeMB < minGrowMB {
				return nil, fmt.Errorf("plan disk: partition %s would get only %d MiB", describe(all[i].p), all[i].sizeMB)
			}
		}
	}
	if all[0].sizeMB < minGrowMB {
		return nil, fmt.Errorf("plan disk: root needs at least %d MiB", minGrowMB)
	}

	l := &Layout{Size: d.SizeMB * MiB}
	var err error
	if l.DiskGUID, err = newUUID(rnd); err != nil {
		return nil, fmt.Errorf("plan disk: %w", err)
	}
	off := int64(leadMB)
	add := func(p Partition, sizeMB int64) error {
		p.Number = len(l.Partitions) + 1
		p.Offset, p.Size = off*MiB, sizeMB*MiB
		off += sizeMB
		if p.PartUUID, err = newUUID(rnd); err != nil {
			return err
		}
		switch p.FSType {
		case "vfat":
			var id [4]byte
			if _, err := io.ReadFull(rnd, id[:]); err != nil {
				return fmt.Errorf("read random volume ID: %w", err)
			}
			v := binary.BigEndian.Uint32(id[:])
			p.UUID = fmt.Sprintf("%04X-%04X", v>>16, v&0xffff)
		case "":
		default:
			u, err := newUUID(rnd)
			if err != nil {
				return err
			}
			p.UUID = u.String()
		}
		l.Partitions = append(l.Partitions, p)
		return nil
	}
	if err := add(Partition{Role: RoleBIOSBoot, Name: "bios-boot", Type: TypeBIOSBoot}, biosBootMB); err != nil {
		return nil, fmt.Errorf("plan disk: %w", err)
	}
	if err := add(Partition{Role: RoleESP, Name: "esp", MountPoint: "/boot/efi", FSType: "vfat", Label: "EFI", Type: TypeESP}, espMB); err != nil {
		return nil, fmt.Errorf("plan disk: %w", err)
	}
	for _, w := range all {
		if err := add(w.p, w.sizeMB); err != nil {
			return nil, fmt.Errorf("plan disk: %w", err)
		}
	}
	return l, nil
}

// espVolumeID returns the FAT volume ID ("ABCD-1234") as mkfs.vfat -i wants it.
func espVolumeID(uuid string) string { return strings.ReplaceAll(uuid, "-", "") }

func describe(p Partition) string {
	if p.MountPoint != "" {
		return p.MountPoint
	}
	return string(p.Role)
}

// defaultLabel derives an ext label (at most 16 bytes) from a mount point.
func defaultLabel(mp string) string {
	l := strings.ReplaceAll(strings.TrimPrefix(mp, "/"), "/", "-")
	if len(l) > 16 {
		l = l[len(l)-16:]
	}
	return l
}

func dataType(mp string) UUID {
	switch mp {
	case "/home":
		return TypeHome
	case "/srv":
		return TypeSrv
	case "/var":
		return TypeVar
	case "/var/tmp":
		return TypeVarTmp
	}
	return TypeLinuxData
}
