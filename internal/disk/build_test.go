package disk

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kilnhq/kiln/internal/spec"
)

func needTools(t testing.TB, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
}

// smallTree is a root tree with a (non-bootable) kernel file: enough for the
// layout, filesystems and bootloader steps, which only look for the file.
func smallTree(t *testing.T) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "root")
	for _, d := range []string{"boot", "etc", "home/alice", "usr/bin", "var/log/apt"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	files := map[string]string{
		"boot/vmlinuz-6.1.0-9-amd64":     "old kernel",
		"boot/vmlinuz-6.1.0-18-amd64":    "new kernel",
		"boot/initrd.img-6.1.0-18-amd64": "initrd",
		"etc/os-release":                 "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n",
		"home/alice/notes.txt":           "alice's file",
		"var/log/apt/history.log":        "log",
		"usr/bin/hello":                  "#!/bin/sh\necho hello\n",
	}
	for p, c := range files {
		if err := os.WriteFile(filepath.Join(root, p), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func output(t *testing.T, name string, args ...string) string {
	t.Helper()
	var stderr bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, out, stderr.Bytes())
	}
	return string(out)
}

func TestBuild(t *testing.T) {
	needTools(t, "mke2fs", "mkfs.vfat", "mmd", "mcopy", "grub-mkimage", "sfdisk", "e2fsck", "mdir", "debugfs", "blkid")
	root := smallTree(t)
	img := filepath.Join(t.TempDir(), "disk.raw")
	var progress []int
	start := time.Now()
	res, err := Build(context.Background(), Options{
		RootDir: root, Output: img, KernelParams: []string{"quiet"}, Rand: seeded(),
		Disk: spec.Disk{SizeMB: 1024, SwapMB: 64, Partitions: []spec.Partition{
			{MountPoint: "/", SizeMB: 600}, {MountPoint: "/home", Grow: true}, {MountPoint: "/var/log", SizeMB: 64}}},
		Progress: func(pct int, msg string) { progress = append(progress, pct) },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("built in %v", time.Since(start))
	if progress[len(progress)-1] != 100 {
		t.Errorf("progress ended at %v", progress)
	}
	for i := 1; i < len(progress); i++ {
		if progress[i] < progress[i-1] {
			t.Errorf("progress went backwards: %v", progress)
		}
	}
	if res.Kernel.Version != "6.1.0-18-amd64" {
		t.Errorf("kernel %q, want the newest", res.Kernel.Version)
	}

	// The file is the disk size, and sparse: holes were never written.
	st, err := os.Stat(img)
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() != 1024*MiB {
		t.Errorf("image is %d bytes", st.Size())
	}
	if used := st.Sys().(*syscall.Stat_t).Blocks * 512; used > 80*MiB {
		t.Errorf("image uses %d MiB on disk: not sparse", used/MiB)
	}

	t.Run("GPT", func(t *testing.T) {
		var table struct {
			PartitionTable struct {
				Label      string `json:"label"`
				ID         string `json:"id"`
				Partitions []struct {
					Start int64  `json:"start"`
					Size  int64  `json:"size"`
					Type  string `json:"type"`
					UUID  string `json:"uuid"`
					Name  string `json:"name"`
				} `json:"partitions"`
			} `json:"partitiontable"`
		}
		if err := json.Unmarshal([]byte(output(t, "sfdisk", "--json", img)), &table); err != nil {
			t.Fatal(err)
		}
		pt := table.PartitionTable
		if pt.Label != "gpt" || !strings.EqualFold(pt.ID, res.DiskGUID.String()) {
			t.Errorf("label %s id %s", pt.Label, pt.ID)
		}
		if len(pt.Partitions) != len(res.Partitions) {
			t.Fatalf("sfdisk sees %d partitions, want %d", len(pt.Partitions), len(res.Partitions))
		}
		for i, p := range res.Partitions {
			sp := pt.Partitions[i]
			if sp.Start*512 != p.Offset || sp.Size*512 != p.Size || !strings.EqualFold(sp.Type, p.Type.String()) ||
				!strings.EqualFold(sp.UUID, p.PartUUID.String()) || sp.Name != p.Name {
				t.Errorf("partition %d: sfdisk %+v, planned %+v", i+1, sp, p)
			}
		}
		// sfdisk --verify checks both headers, CRCs and the backup table.
		if out := output(t, "sfdisk", "--verify", img); !strings.Contains(out, "No errors detected") {
			t.Errorf("sfdisk --verify: %s", out)
		}
	})

	t.Run("filesystems", func(t *testing.T) {
		for _, p := range res.Partitions {
			if !strings.HasPrefix(p.FSType, "ext") {
				continue
			}
			dev := img + "?offset=" + strconv.FormatInt(p.Offset, 10)
			output(t, "e2fsck", "-fn", dev)
			probe := output(t, "blkid", "-p", "-O", strconv.FormatInt(p.Offset, 10), "-S", strconv.FormatInt(p.Size, 10), img)
			if !strings.Contains(probe, `UUID="`+p.UUID+`"`) || !strings.Contains(probe, `LABEL="`+p.Label+`"`) {
				t.Errorf("partition %d: blkid %s", p.Number, probe)
			}
		}
		rootDev := img + "?offset=" + strconv.FormatInt(res.Root().Offset, 10)
		if got := output(t, "debugfs", "-R", "cat /etc/fstab", rootDev); got != Fstab(&res.Layout) {
			t.Errorf("fstab in the image:\n%s", got)
		}
		if got := output(t, "debugfs", "-R", "cat /boot/grub/grub.cfg", rootDev); !strings.Contains(got, "root=UUID="+res.Root().UUID) {
			t.Errorf("grub.cfg in the image:\n%s", got)
		}
		// Mount points are empty on root; their files are in their own filesystems.
		if got := output(t, "debugfs", "-R", "ls -l /home", rootDev); strings.Contains(got, "alice") {
			t.Errorf("/home on root is not empty:\n%s", got)
		}
		home := res.Partitions[3]
		homeDev := img + "?offset=" + strconv.FormatInt(home.Offset, 10)
		if got := output(t, "debugfs", "-R", "cat /alice/notes.txt", homeDev); got != "alice's file" {
			t.Errorf("/home/alice/notes.txt = %q", got)
		}
		logDev := img + "?offset=" + strconv.FormatInt(res.Partitions[4].Offset, 10)
		if got := output(t, "debugfs", "-R", "cat /apt/history.log", logDev); got != "log" {
			t.Errorf("/var/log/apt/history.log = %q", got)
		}
		// The root tree is whole again after the build.
		if _, err := os.Stat(filepath.Join(root, "home/alice/notes.txt")); err != nil {
			t.Errorf("root tree not restored: %v", err)
		}
		if m, _ := filepath.Glob(filepath.Join(filepath.Dir(root), ".kiln-mounts-*")); len(m) != 0 {
			t.Errorf("stage left behind: %v", m)
		}
		swap := res.Partitions[5]
		probe := output(t, "blkid", "-p", "-O", strconv.FormatInt(swap.Offset, 10), "-S", strconv.FormatInt(swap.Size, 10), img)
		if !strings.Contains(probe, `TYPE="swap"`) || !strings.Contains(probe, `UUID="`+swap.UUID+`"`) {
			t.Errorf("swap: blkid %s", probe)
		}
	})

	t.Run("ESP", func(t *testing.T) {
		esp := res.ESP()
		target := img + "@@" + strconv.FormatInt(esp.Offset, 10)
		cmd := exec.Command("mdir", "-i", target, "::/EFI/BOOT")
		cmd.Env = append(os.Environ(), "MTOOLS_SKIP_CHECK=1")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "BOOTX64  EFI") {
			t.Fatalf("mdir: %v\n%s", err, out)
		}
		probe := output(t, "blkid", "-p", "-O", strconv.FormatInt(esp.Offset, 10), "-S", strconv.FormatInt(esp.Size, 10), img)
		if !strings.Contains(probe, `UUID="`+esp.UUID+`"`) || !strings.Contains(probe, `VERSION="FAT32"`) {
			t.Errorf("ESP: blkid %s", probe)
		}
	})

	t.Run("MBR and core.img", func(t *testing.T) {
		f, err := os.Open(img)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		mbr := make([]byte, 512)
		if _, err := f.ReadAt(mbr, 0); err != nil {
			t.Fatal(err)
		}
		bootImg, err := os.ReadFile(filepath.Join(grubPCDir, "boot.img"))
		if err != nil {
			t.Fatal(err)
		}
		bios := res.BIOSBoot()
		coreLBA := uint64(bios.Offset / 512)
		if got := binary.LittleEndian.Uint64(mbr[0x5c:]); got != coreLBA {
			t.Errorf("boot.img kernel sector %d, want %d", got, coreLBA)
		}
		if mbr[0x64] != 0xff || mbr[0x66] != 0x90 || mbr[0x67] != 0x90 {
			t.Errorf("boot drive/check bytes % x", mbr[0x64:0x68])
		}
		// Everything else in the first 440 bytes is boot.img's code, apart from the BPB.
		if !bytes.Equal(mbr[:3], bootImg[:3]) || !bytes.Equal(mbr[0x68:0x1b8], bootImg[0x68:0x1b8]) {
			t.Error("MBR boot code differs from boot.img")
		}
		if mbr[0x1be+4] != 0xee || mbr[510] != 0x55 || mbr[511] != 0xaa {
			t.Error("protective MBR entry or signature damaged")
		}
		sec := make([]byte, 512)
		if _, err := f.ReadAt(sec, bios.Offset); err != nil {
			t.Fatal(err)
		}
		diskboot, err := os.ReadFile(filepath.Join(grubPCDir, "diskboot.img"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(sec[:500-12], diskboot[:500-12]) {
			t.Error("core.img does not start with diskboot.img")
		}
		start, n, seg := binary.LittleEndian.Uint64(sec[500:]), binary.LittleEndian.Uint16(sec[508:]), binary.LittleEndian.Uint16(sec[510:])
		if start != coreLBA+1 || n == 0 || seg != 0x820 {
			t.Errorf("blocklist start %d len %d seg %#x", start, n, seg)
		}
		// The last sector the blocklist names holds data; the one after is a hole.
		last := make([]byte, 512)
		if _, err := f.ReadAt(last, int64(start+uint64(n)-1)*512); err != nil {
			t.Fatal(err)
		}
		if bytes.Equal(last, make([]byte, 512)) {
			t.Error("blocklist is longer than core.img")
		}
	})
}

func TestBuildCancelRemovesOutput(t *testing.T) {
	needTools(t, "mke2fs", "mkfs.vfat", "grub-mkimage")
	root := smallTree(t)
	img := filepath.Join(t.TempDir(), "disk.raw")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Build(ctx, Options{RootDir: root, Output: img, Disk: spec.Disk{SizeMB: 1024}}); err == nil {
		t.Fatal("Build succeeded with a cancelled context")
	}
	if _, err := os.Stat(img); !os.IsNotExist(err) {
		t.Errorf("output left behind: %v", err)
	}
}

func TestBuildFailureReportsToolError(t *testing.T) {
	root := smallTree(t)
	if err := os.Remove(filepath.Join(root, "boot/vmlinuz-6.1.0-18-amd64")); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(root, "boot/vmlinuz-6.1.0-9-amd64")); err != nil {
		t.Fatal(err)
	}
	img := filepath.Join(t.TempDir(), "disk.raw")
	_, err := Build(context.Background(), Options{RootDir: root, Output: img, Disk: spec.Disk{SizeMB: 1024}})
	if err == nil || !strings.Contains(err.Error(), "no /boot/vmlinuz-*") {
		t.Fatalf("error %v", err)
	}
}

// A tool failure mid-build (here: /home's files do not fit its partition)
// reports the tool's stderr, removes the output and puts the tree back.
func TestBuildToolFailureRestoresTree(t *testing.T) {
	needTools(t, "mke2fs", "mkfs.vfat", "mmd", "mcopy", "grub-mkimage")
	root := smallTree(t)
	big := make([]byte, 24<<20)
	for i := range big {
		big[i] = byte(i*7 + i>>9) // not compressible, not sparse
	}
	if err := os.WriteFile(filepath.Join(root, "home/alice/big"), big, 0o644); err != nil {
		t.Fatal(err)
	}
	img := filepath.Join(t.TempDir(), "disk.raw")
	_, err := Build(context.Background(), Options{RootDir: root, Output: img, Disk: spec.Disk{SizeMB: 1024,
		Partitions: []spec.Partition{{MountPoint: "/home", SizeMB: 16}}}})
	if err == nil {
		t.Fatal("Build succeeded although /home does not fit")
	}
	if !strings.Contains(err.Error(), "mke2fs") || !strings.Contains(err.Error(), "/home") {
		t.Errorf("error does not name the tool and partition: %v", err)
	}
	if strings.Contains(err.Error(), "canceled") {
		t.Errorf("error reports the cancelled sibling step, not just the cause: %v", err)
	}
	if _, err := os.Stat(img); !os.IsNotExist(err) {
		t.Errorf("output left behind: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "home/alice/big")); err != nil {
		t.Errorf("tree not restored: %v", err)
	}
	if m, _ := filepath.Glob(filepath.Join(filepath.Dir(root), ".kiln-mounts-*")); len(m) != 0 {
		t.Errorf("stage left behind: %v", m)
	}
}
