package disk

import (
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kilnhq/kiln/internal/spec"
	"github.com/kilnhq/kiln/internal/treefs"
	"github.com/kilnhq/kiln/internal/treefs/treefstest"
)

// Mount points are tenants' paths: one that reaches through the tree's
// var/run -> /run would have the build create (or move away, into the
// tenant's image) a directory of the host. It is refused, naming the field,
// and the host sentinels behind the links stay untouched.
func TestDetachMountsRefusesLinks(t *testing.T) {
	for _, mp := range []string{"/var/run/nologin", "/var/run/lock", "/usr/lib/ssl/private"} {
		t.Run(mp, func(t *testing.T) {
			root := smallTree(t)
			treefstest.Plant(t, root, treefstest.DebianLinks...)
			d, err := detachMounts(openTree(t, root), []string{"/home", mp})
			if d != nil {
				if rerr := d.restore(); rerr != nil {
					t.Errorf("restore: %v", rerr)
				}
			}
			if err == nil || !strings.Contains(err.Error(), "install.disk.partitions") || !strings.Contains(err.Error(), "link") {
				t.Fatalf("detachMounts = %v, want a refusal naming the field and the link", err)
			}
			if _, err := os.Stat(filepath.Join(root, "home/alice/notes.txt")); err != nil {
				t.Errorf("tree not restored: %v", err)
			}
		})
	}
}

func openTree(t *testing.T, root string) *treefs.Root {
	t.Helper()
	tree, err := treefs.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tree.Close() })
	return tree
}

// fstab and grub.cfg are written inside the tree, whatever links it holds.
func TestWriteTreeFilesInsideTheTree(t *testing.T) {
	root := smallTree(t)
	s := treefstest.Plant(t, root, "boot/grub")
	l, err := Plan(spec.Disk{SizeMB: 1024}, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if err := writeTreeFiles(openTree(t, root), l, GrubConfig{Title: "t", RootUUID: l.Root().UUID, Kernel: "/boot/vmlinuz"}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(s.Inside("boot/grub"), "grub.cfg")); err != nil {
		t.Errorf("grub.cfg is not where boot/grub leads inside the tree: %v", err)
	}
}

// Build refuses such a layout before writing anything.
func TestBuildRefusesMountPointThroughLink(t *testing.T) {
	needTools(t, "mke2fs", "mkfs.vfat", "mmd", "mcopy", "grub-mkimage")
	root := smallTree(t)
	treefstest.Plant(t, root, treefstest.DebianLinks...)
	img := filepath.Join(t.TempDir(), "disk.raw")
	_, err := Build(context.Background(), Options{RootDir: root, Output: img, Disk: spec.Disk{SizeMB: 1024,
		Partitions: []spec.Partition{{MountPoint: "/var/run/nologin", SizeMB: 16}}}})
	if err == nil || !strings.Contains(err.Error(), "/var/run/nologin goes through the link /var/run") {
		t.Fatalf("Build = %v", err)
	}
	if _, err := os.Stat(img); !os.IsNotExist(err) {
		t.Errorf("output left behind: %v", err)
	}
}
