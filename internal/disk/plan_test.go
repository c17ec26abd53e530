package disk

import (
	"math/rand"
	"strings"
	"testing"

	"github.com/kilnhq/kiln/internal/spec"
)

// seeded returns a deterministic random source for UUIDs.
func seeded() *rand.Rand { return rand.New(rand.NewSource(1)) }

func TestOverheadMatchesSpec(t *testing.T) {
	if got := int64(leadMB + biosBootMB + espMB + tailMB); got != spec.Overhead() {
		t.Fatalf("disk reserves %d MiB but spec.Overhead() says %d", got, spec.Overhead())
	}
}

type wantPart struct {
	role   Role
	mount  string
	fs     string
	offMB  int64
	sizeMB int64
}

func TestPlan(t *testing.T) {
	base := []wantPart{
		{RoleBIOSBoot, "", "", 1, 1},
		{RoleESP, "/boot/efi", "vfat", 2, 64},
	}
	cases := []struct {
		name string
		disk spec.Disk
		want []wantPart
	}{
		{"root takes the disk", spec.Disk{SizeMB: 2048},
			append(base[:2:2], wantPart{RoleRoot, "/", "ext4", 66, 2048 - 67})},
		{"swap at the end", spec.Disk{SizeMB: 2048, SwapMB: 256},
			append(base[:2:2], wantPart{RoleRoot, "/", "ext4", 66, 2048 - 67 - 256}, wantPart{RoleSwap, "", "swap", 2048 - 1 - 256, 256})},
		{"sized root, growing home", spec.Disk{SizeMB: 4096, Partitions: []spec.Partition{
			{MountPoint: "/home", Grow: true}, {MountPoint: "/", SizeMB: 1500, FSType: "ext3"}, {MountPoint: "/var", SizeMB: 500}}},
			append(base[:2:2], wantPart{RoleRoot, "/", "ext3", 66, 1500}, wantPart{RoleData, "/home", "ext4", 1566, 4096 - 67 - 2000}, wantPart{RoleData, "/var", "ext4", 4096 - 1 - 500, 500})},
		{"extra partitions, root grows", spec.Disk{SizeMB: 3000, SwapMB: 100, Partitions: []spec.Partition{
			{MountPoint: "/srv", SizeMB: 300, Label: "data"}, {FSType: "linux-swap", SizeMB: 64}}},
			append(base[:2:2], wantPart{RoleRoot, "/", "ext4", 66, 3000 - 67 - 464}, wantPart{RoleData, "/srv", "ext4", 3000 - 1 - 464, 300},
				wantPart{RoleSwap, "", "swap", 3000 - 1 - 164, 64}, wantPart{RoleSwap, "", "swap", 3000 - 1 - 100, 100})},
		{"sized root leaves the tail free", spec.Disk{SizeMB: 2048, Partitions: []spec.Partition{{MountPoint: "/", SizeMB: 1000}}},
			append(base[:2:2], wantPart{RoleRoot, "/", "ext4", 66, 1000})},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l, err := Plan(c.disk, seeded())
			if err != nil {
				t.Fatal(err)
			}
			if l.Size != c.disk.SizeMB*MiB {
				t.Errorf("size %d, want %d", l.Size, c.disk.SizeMB*MiB)
			}
			if len(l.Partitions) != len(c.want) {
				t.Fatalf("%d partitions, want %d: %+v", len(l.Partitions), len(c.want), l.Partitions)
			}
			seen := map[string]bool{}
			for i, w := range c.want {
				p := l.Partitions[i]
				got := wantPart{p.Role, p.MountPoint, p.FSType, p.Offset / MiB, p.Size / MiB}
				if got != w {
					t.Errorf("partition %d: got %+v, want %+v", i+1, got, w)
				}
				if p.Number != i+1 || p.Offset%MiB != 0 || p.Size%MiB != 0 {
					t.Errorf("partition %d: number %d, not MiB-aligned: %d+%d", i+1, p.Number, p.Offset, p.Size)
				}
				if p.Offset+p.Size > l.Size-MiB {
					t.Errorf("partition %d overlaps the backup GPT", i+1)
				}
				if i > 0 && p.Offset < l.Partitions[i-1].Offset+l.Partitions[i-1].Size {
					t.Errorf("partition %d overlaps its predecessor", i+1)
				}
				for _, id := range []string{p.PartUUID.String(), p.UUID} {
					if id != "" && seen[id] {
						t.Errorf("partition %d: identifier %s repeated", i+1, id)
					}
					seen[id] = true
				}
				if p.FSType != "" && p.UUID == "" {
					t.Errorf("partition %d has no filesystem UUID", i+1)
				}
			}
			if esp := l.ESP(); len(esp.UUID) != 9 || esp.UUID[4] != '-' {
				t.Errorf("ESP volume ID %q is not XXXX-XXXX", esp.UUID)
			}
		})
	}
}

func TestPlanIsDeterministicForASeed(t *testing.T) {
	a, _ := Plan(spec.Disk{SizeMB: 2048, SwapMB: 128}, seeded())
	b, _ := Plan(spec.Disk{SizeMB: 2048, SwapMB: 128}, seeded())
	c, _ := Plan(spec.Disk{SizeMB: 2048, SwapMB: 128}, rand.New(rand.NewSource(2)))
	if a.Root().UUID != b.Root().UUID || a.DiskGUID != b.DiskGUID {
		t.Error("same seed, different identifiers")
	}
	if a.Root().UUID == c.Root().UUID {
		t.Error("different seeds, same root UUID")
	}
	if v := a.Root().UUID[14]; v != '4' {
		t.Errorf("root UUID %s is not version 4", a.Root().UUID)
	}
}

func TestPlanErrors(t *testing.T) {
	cases := []struct {
		name string
		disk spec.Disk
		want string
	}{
		{"too small", spec.Disk{SizeMB: 500}, "too small"},
		{"does not fit", spec.Disk{SizeMB: 2048, Partitions: []spec.Partition{{MountPoint: "/var", SizeMB: 2000}}}, "leaves"},
		{"two growers", spec.Disk{SizeMB: 2048, Partitions: []spec.Partition{{MountPoint: "/", Grow: true}, {MountPoint: "/var", Grow: true}}}, "only one"},
		{"grower without root size", spec.Disk{SizeMB: 2048, Partitions: []spec.Partition{{MountPoint: "/var", Grow: true}}}, "explicit size"},
		{"xfs", spec.Disk{SizeMB: 2048, Partitions: []spec.Partition{{MountPoint: "/data", SizeMB: 400, FSType: "xfs"}}}, "xfs"},
		{"separate /boot", spec.Disk{SizeMB: 2048, Partitions: []spec.Partition{{MountPoint: "/boot", SizeMB: 400}}}, "/boot"},
		{"duplicate", spec.Disk{SizeMB: 2048, Partitions: []spec.Partition{{MountPoint: "/var", SizeMB: 10}, {MountPoint: "/var/", SizeMB: 10}}}, "twice"},
		{"no size", spec.Disk{SizeMB: 2048, Partitions: []spec.Partition{{MountPoint: "/var"}}}, "needs a size"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Plan(c.disk, seeded())
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}

func TestVersionLess(t *testing.T) {
	for _, c := range [][2]string{{"6.1.0-9-amd64", "6.1.0-18-amd64"}, {"5.10.0-28-amd64", "6.1.0-1-amd64"}, {"6.1.0", "6.1.0-1"}} {
		if !versionLess(c[0], c[1]) || versionLess(c[1], c[0]) {
			t.Errorf("want %s < %s", c[0], c[1])
		}
	}
}

func TestGUIDEncoding(t *testing.T) {
	// GPT stores the first three fields little-endian: the ESP type GUID
	// C12A7328-F81F-11D2-BA4B-00A0C93EC93B begins 28 73 2A C1 1F F8 D2 11 on disk.
	got := TypeESP.gptBytes()
	want := []byte{0x28, 0x73, 0x2a, 0xc1, 0x1f, 0xf8, 0xd2, 0x11, 0xba, 0x4b, 0x00, 0xa0, 0xc9, 0x3e, 0xc9, 0x3b}
	if string(got[:]) != string(want) {
		t.Fatalf("got % x", got)
	}
}
