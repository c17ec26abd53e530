package disk

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kilnhq/kiln/internal/qemutest"
	"github.com/kilnhq/kiln/internal/spec"
	"github.com/kilnhq/kiln/internal/testenv"
)

// e2eRootPassword is set by the bootstrap's customize hook.
const e2eRootPassword = "kiln"

// e2eRootfs returns a bootable Debian 12 tree, bootstrapped with mmdebstrap on
// first use and cached (KILN_E2E_DISK_CACHE, default /tmp/kiln-disk-e2e) for later
// runs: the rootfs engineer's package is not a dependency of this one.
func e2eRootfs(t testing.TB) string {
	t.Helper()
	cache := os.Getenv("KILN_E2E_DISK_CACHE") // not KILN_E2E_CACHE: that one holds rootfs caches
	if cache == "" {
		cache = "/tmp/kiln-disk-e2e"
	}
	dir := filepath.Join(cache, "bookworm-minbase")
	if _, err := os.Stat(filepath.Join(dir, ".kiln-complete")); err == nil {
		return dir
	}
	needTools(t, "mmdebstrap")
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(cache, 0o755); err != nil {
		t.Fatal(err)
	}
	tmp := dir + ".tmp"
	_ = os.RemoveAll(tmp)
	start := time.Now()
	cmd := exec.Command("mmdebstrap", "--variant=minbase",
		"--include=linux-image-amd64,systemd-sysv,initramfs-tools,udev",
		"--customize-hook=echo root:"+e2eRootPassword+" | chroot \"$1\" chpasswd",
		"bookworm", tmp, "http://deb.debian.org/debian")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("mmdebstrap: %v\n%s", err, out)
	}
	if err := os.WriteFile(filepath.Join(tmp, ".kiln-complete"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		t.Fatal(err)
	}
	t.Logf("bootstrapped Debian 12 in %v", time.Since(start))
	return dir
}

var loginPrompt = regexp.MustCompile(`login: `)

// TestE2EBootBIOSAndUEFI builds a 2 GiB hybrid image from a real Debian 12
// tree and boots it under QEMU/TCG with SeaBIOS and with OVMF: each must reach
// the login prompt on ttyS0, accept root's password and run commands.
func TestE2EBootBIOSAndUEFI(t *testing.T) {
	testenv.RequireE2E(t, "bootstraps Debian, builds a 2 GiB image and boots it: minutes")
	needTools(t, "qemu-system-x86_64", "mke2fs", "mkfs.vfat", "grub-mkimage")
	root := e2eRootfs(t)
	img := filepath.Join(t.TempDir(), "disk.raw")
	start := time.Now()
	res, err := Build(context.Background(), Options{
		RootDir: root, Output: img, KernelParams: []string{"kiln.test=1"},
		Disk: spec.Disk{SizeMB: 2048, SwapMB: 128, Partitions: []spec.Partition{
			{MountPoint: "/", Grow: true}, {MountPoint: "/srv", SizeMB: 200}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("built 2 GiB image in %v (kernel %s)", time.Since(start), res.Kernel.Version)
	var self, children syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	_ = syscall.Getrusage(syscall.RUSAGE_CHILDREN, &children)
	var st syscall.Stat_t
	_ = syscall.Stat(img, &st)
	// Maxrss is in KiB on Linux. The test process's peak bounds what Build itself holds.
	t.Logf("peak RSS: this process %d MiB, largest tool %d MiB; image allocates %d MiB of 2048",
		self.Maxrss>>10, children.Maxrss>>10, st.Blocks*512>>20)
	if self.Maxrss>>10 > 200 {
		t.Errorf("peak RSS %d MiB exceeds 200 MiB", self.Maxrss>>10)
	}

	for _, fw := range []qemutest.Firmware{qemutest.BIOS, qemutest.UEFI} {
		t.Run(fw.String(), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
			defer cancel()
			logPath := filepath.Join(os.TempDir(), "kiln-disk-e2e-"+fw.String()+".log")
			boot := time.Now()
			vm, err := qemutest.Boot(ctx, qemutest.Options{
				Image: img, Format: "raw", Firmware: fw, MemoryMB: 1024,
				Timeout: 8 * time.Minute, Snapshot: true, ConsoleLog: logPath,
			})
			if err != nil {
				t.Fatal(err)
			}
			defer vm.Close()
			if _, err := vm.WaitFor(ctx, loginPrompt); err != nil {
				t.Fatalf("%v (console in %s)", err, logPath)
			}
			t.Logf("%s: login prompt after %v", fw, time.Since(boot))
			// WaitFor consumed the prompt; Login waits for the next one, so press Enter.
			if _, err := vm.Write([]byte("\n")); err != nil {
				t.Fatal(err)
			}
			if err := vm.Login(ctx, "root", e2eRootPassword); err != nil {
				t.Fatal(err)
			}
			checks := map[string]string{
				"findmnt -n -o UUID /":            res.Root().UUID,
				"findmnt -n -o UUID /srv":         res.Partitions[3].UUID,
				"findmnt -n -o UUID /boot/efi":    res.ESP().UUID,
				"swapon --show=UUID --noheadings": res.Partitions[4].UUID,
				"cat /proc/cmdline":               "kiln.test=1",
			}
			for cmd, want := range checks {
				out, err := vm.Run(ctx, cmd)
				if err != nil {
					t.Errorf("%s: %v", cmd, err)
					continue
				}
				if !strings.Contains(strings.ToLower(out), strings.ToLower(want)) {
					t.Errorf("%s = %q, want %q", cmd, out, want)
				}
			}
			efi, _ := vm.Run(ctx, "test -d /sys/firmware/efi && echo uefi || echo bios")
			if efi != fw.String() {
				t.Errorf("booted as %q, want %s", efi, fw)
			}
			if out, err := vm.Run(ctx, "systemctl is-system-running --wait"); err != nil {
				t.Logf("system state: %s (%v)", out, err)
				failed, _ := vm.Run(ctx, "systemctl --failed --no-legend")
				t.Errorf("units failed: %s", failed)
			}
			t.Logf("%s: logged in and checked after %v", fw, time.Since(boot))
		})
	}
}

// BenchmarkBuild2GiB measures Build on the cached Debian 12 tree (KILN_E2E=1):
// go test -run XXX -bench Build2GiB -benchtime 3x ./internal/disk
func BenchmarkBuild2GiB(b *testing.B) {
	testenv.RequireE2E(b, "builds 2 GiB images from a bootstrapped Debian tree")
	root := e2eRootfs(b)
	img := filepath.Join(b.TempDir(), "disk.raw")
	for i := 0; i < b.N; i++ {
		if _, err := Build(context.Background(), Options{RootDir: root, Output: img, Disk: spec.Disk{SizeMB: 2048}}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	var self, children syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	_ = syscall.Getrusage(syscall.RUSAGE_CHILDREN, &children)
	var st syscall.Stat_t
	_ = syscall.Stat(img, &st)
	b.ReportMetric(float64(self.Maxrss>>10), "peakRSS-MiB")
	b.ReportMetric(float64(children.Maxrss>>10), "toolRSS-MiB")
	b.ReportMetric(float64(st.Blocks*512>>20), "allocated-MiB")
}
