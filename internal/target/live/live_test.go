package live

import (
	"archive/tar"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

func needTools(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
}

// fakeTree is a tiny root tree: a fake kernel and initrd (never booted), a
// file owned by 1000:1000 with an extended attribute (as root), and contents
// in the directories that must reach the squashfs empty.
func fakeTree(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	files := map[string]string{
		"boot/vmlinuz-6.1.0-9-amd64":    "old kernel",
		"boot/initrd.img-6.1.0-9-amd64": "old initrd",
		"boot/vmlinuz-6.1.0-x":          "kernel 6.1.0-x",
		"boot/initrd.img-6.1.0-x":       "initrd 6.1.0-x",
		"etc/hostname":                  "live-test\n",
		"home/ops/notes":                "ops",
		"proc/1/status":                 "must not be packed",
		"tmp/scratch":                   "must not be packed",
		"run/lock/x":                    "must not be packed",
		"dev/fake":                      "must not be packed",
	}
	for name, body := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{"sys", "tmp"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(filepath.Join(root, "tmp"), 0o1777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("boot/vmlinuz-6.1.0-x", filepath.Join(root, "vmlinuz")); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		for _, p := range []string{"home/ops", "home/ops/notes"} {
			if err := os.Lchown(filepath.Join(root, p), 1000, 1000); err != nil {
				t.Fatal(err)
			}
		}
		if err := syscall.Setxattr(filepath.Join(root, "home/ops/notes"), "user.kiln", []byte("kept"), 0); err != nil {
			t.Logf("no user xattrs here: %v", err)
		}
	}
	return root
}

func cmdOut(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func assertEmptyDir(t *testing.T, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		t.Errorf("left in the work directory: %s", e.Name())
	}
}

// checkSquashfs lists a squashfs and checks what a live root needs from it.
func checkSquashfs(t *testing.T, path string) {
	t.Helper()
	ls := cmdOut(t, "unsquashfs", "-lln", path) // -lls with numeric owners
	for _, want := range []string{"/etc/hostname", "/boot/vmlinuz-6.1.0-x", "/home/ops/notes", "squashfs-root/proc\n", "squashfs-root/tmp\n"} {
		if !strings.Contains(ls, want) {
			t.Errorf("squashfs lacks %q:\n%s", want, ls)
		}
	}
	for _, unwanted := range []string{"proc/1", "tmp/scratch", "run/lock", "dev/fake"} {
		if strings.Contains(ls, unwanted) {
			t.Errorf("squashfs has %q, which must stay out", unwanted)
		}
	}
	if !regexp.MustCompile(`(?m)^drwxrwxrwt \S+ .*squashfs-root/tmp$`).MatchString(ls) {
		t.Errorf("/tmp lost its mode 1777:\n%s", ls)
	}
	if os.Geteuid() == 0 {
		if !regexp.MustCompile(`(?m)^-rw-r--r-- 1000/1000 .*squashfs-root/home/ops/notes$`).MatchString(ls) {
			t.Errorf("owner of /home/ops/notes not kept (want 1000/1000):\n%s", ls)
		}
		if !regexp.MustCompile(`(?m)^-rw-r--r-- 0/0 .*squashfs-root/etc/hostname$`).MatchString(ls) {
			t.Errorf("owner of /etc/hostname not kept (want 0/0):\n%s", ls)
		}
		// Extended attributes: extract the one file and read it back.
		out := filepath.Join(t.TempDir(), "x")
		cmdOut(t, "unsquashfs", "-d", out, path, "/home/ops/notes")
		buf := make([]byte, 16)
		if n, err := syscall.Getxattr(filepath.Join(out, "home/ops/notes"), "user.kiln", buf); err != nil || string(buf[:n]) != "kept" {
			t.Errorf("xattr user.kiln not kept: %q, %v", buf[:max(n, 0)], err)
		}
	}
}

func TestISO(t *testing.T) {
	needTools(t, "mksquashfs", "unsquashfs", "grub-mkrescue", "xorriso")
	root := fakeTree(t)
	// "=" is special in xorriso's graft points: the tree's kernel and initrd
	// paths are escaped. (Not "\\" here: disk.FindKernel globs the path.)
	work := filepath.Join(t.TempDir(), "work a,b")
	if err := os.Mkdir(work, 0o755); err != nil {
		t.Fatal(err)
	}
	odd := filepath.Join(t.TempDir(), "tree=1 x")
	if err := os.Rename(root, odd); err != nil {
		t.Fatal(err)
	}
	root = odd
	dst := filepath.Join(t.TempDir(), "live.iso")
	var last, total int64 = -1, 0
	start := time.Now()
	err := ISO(context.Background(), dst, Input{Root: root, WorkDir: work, Label: "kiln-reference 1.0",
		KernelParams: []string{"quiet", "net.ifnames=0"},
		Progress: func(done, tot int64) {
			if done < last || (total != 0 && tot != total) {
				t.Errorf("progress went from %d/%d to %d/%d", last, total, done, tot)
			}
			last, total = done, tot
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("ISO of the fake tree built in %v", time.Since(start).Round(time.Millisecond))
	if last != total || total <= 0 {
		t.Errorf("progress ended at %d/%d", last, total)
	}
	assertEmptyDir(t, work)

	boot := cmdOut(t, "xorriso", "-indev", dst, "-report_el_torito", "plain", "-report_system_area", "plain", "-pvd_info")
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`El Torito boot img : +1 +BIOS +y +none`),                    // GRUB's i386-pc eltorito.img
		regexp.MustCompile(`El Torito boot img : +2 +UEFI +y +none`),                    // platform 0xef: the EFI system partition image
		regexp.MustCompile(`System area summary: MBR protective-msdos-label grub2-mbr`), // GRUB's hybrid MBR boot code
		regexp.MustCompile(`GPT partname local : +\d+ +EFI boot partition`),             // UEFI from a USB stick
		regexp.MustCompile(`Volume [Ii]d +: '?KILN_REFERENCE_1_0'?`),
	} {
		if !want.MatchString(boot) {
			t.Errorf("xorriso report lacks %s:\n%s", want, boot)
		}
	}
	listing := cmdOut(t, "xorriso", "-indev", dst, "-find", "/live", "-type", "f")
	for _, f := range []string{"/live/vmlinuz", "/live/initrd.img", "/live/filesystem.squashfs"} {
		if !strings.Contains(listing, "'"+f+"'") {
			t.Errorf("ISO lacks %s:\n%s", f, listing)
		}
	}
	out := t.TempDir()
	cmdOut(t, "xorriso", "-osirrox", "on", "-indev", dst,
		"-extract", "/boot/grub/grub.cfg", filepath.Join(out, "grub.cfg"),
		"-extract", "/live/vmlinuz", filepath.Join(out, "vmlinuz"),
		"-extract", "/live/filesystem.squashfs", filepath.Join(out, "fs.squashfs"))
	cfg, err := os.ReadFile(filepath.Join(out, "grub.cfg"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"set timeout=1\n",
		"serial --unit=0 --speed=115200",
		"terminal_input serial console\n",
		"terminal_output serial console\n",
		"\tlinux /live/vmlinuz boot=live components console=tty0 console=ttyS0,115200n8 quiet net.ifnames=0\n",
		"\tinitrd /live/initrd.img\n",
	} {
		if !strings.Contains(string(cfg), want) {
			t.Errorf("grub.cfg lacks %q:\n%s", want, cfg)
		}
	}
	if k, _ := os.ReadFile(filepath.Join(out, "vmlinuz")); string(k) != "kernel 6.1.0-x" {
		t.Errorf("/live/vmlinuz = %q, want the newest kernel", k)
	}
	checkSquashfs(t, filepath.Join(out, "fs.squashfs"))
}

func TestPXE(t *testing.T) {
	needTools(t, "mksquashfs", "unsquashfs")
	root, work := fakeTree(t), t.TempDir()
	tarPath := filepath.Join(t.TempDir(), "live.tar")
	f, err := os.Create(tarPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := PXE(context.Background(), f, Input{Root: root, WorkDir: work, Label: "web", KernelParams: []string{"nomodeset"}}); err != nil {
		t.Fatal(err)
	}
	assertEmptyDir(t, work)
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	var names []string
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		if h.Typeflag != tar.TypeReg || h.Mode != 0o644 || strings.Contains(h.Name, "/") {
			t.Errorf("member %s: type %c mode %o", h.Name, h.Typeflag, h.Mode)
		}
		w, err := os.Create(filepath.Join(out, h.Name))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(w, tr); err != nil {
			t.Fatal(err)
		}
		w.Close()
	}
	if got := strings.Join(names, " "); got != "boot.ipxe README.txt vmlinuz initrd.img filesystem.squashfs" {
		t.Errorf("members = %s", got)
	}
	script, _ := os.ReadFile(filepath.Join(out, "boot.ipxe"))
	for _, want := range []string{
		"#!ipxe\n",
		"isset ${base} || set base ${cwduri} ||\n",
		"\nkernel vmlinuz initrd=initrd.img boot=live components fetch=${base}/filesystem.squashfs ip=dhcp BOOTIF=01-${netX/mac:hexhyp} console=tty0 console=ttyS0,115200n8 nomodeset\n",
		"\ninitrd initrd.img\nboot\n",
	} {
		if !strings.HasPrefix(string(script), "#!ipxe\n") || !strings.Contains(string(script), want) {
			t.Errorf("boot.ipxe lacks %q:\n%s", want, script)
		}
	}
	// Every ${…} of the script is a variable iPXE knows; the messages must not
	// expand anything.
	for _, m := range regexp.MustCompile(`\$\{[^}]*\}`).FindAllString(string(script), -1) {
		switch m {
		case "${base}", "${cwduri}", "${netX/mac:hexhyp}":
		default:
			t.Errorf("boot.ipxe expands %s", m)
		}
	}
	if k, _ := os.ReadFile(filepath.Join(out, "vmlinuz")); string(k) != "kernel 6.1.0-x" {
		t.Errorf("vmlinuz = %q", k)
	}
	if k, _ := os.ReadFile(filepath.Join(out, "initrd.img")); string(k) != "initrd 6.1.0-x" {
		t.Errorf("initrd.img = %q", k)
	}
	if r, _ := os.ReadFile(filepath.Join(out, "README.txt")); !strings.Contains(string(r), "set base http://SERVER/PATH") {
		t.Errorf("README.txt:\n%s", r)
	}
	checkSquashfs(t, filepath.Join(out, "filesystem.squashfs"))
}

// TestUnusableWorkDir: grub-mkrescue cannot work under a path with "=" (it
// does not escape its own graft points); ISO says so before any work.
func TestUnusableWorkDir(t *testing.T) {
	work := filepath.Join(t.TempDir(), "a=b")
	if err := os.Mkdir(work, 0o755); err != nil {
		t.Fatal(err)
	}
	var reports int
	err := ISO(context.Background(), filepath.Join(t.TempDir(), "x.iso"), Input{Root: fakeTree(t), WorkDir: work,
		Progress: func(int64, int64) { reports++ }})
	if err == nil || !strings.Contains(err.Error(), "grub-mkrescue cannot work") || reports != 0 {
		t.Errorf("error = %v after %d progress reports", err, reports)
	}
	assertEmptyDir(t, work)
}

func TestMissingKernel(t *testing.T) {
	root, work := t.TempDir(), t.TempDir()
	err := ISO(context.Background(), filepath.Join(t.TempDir(), "x.iso"), Input{Root: root, WorkDir: work})
	if err == nil || !strings.Contains(err.Error(), "no /boot/vmlinuz-*") {
		t.Errorf("error = %v, want one naming /boot/vmlinuz-*", err)
	}
	// A kernel without an initramfs cannot boot live.
	if err := os.MkdirAll(filepath.Join(root, "boot"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "boot", "vmlinuz-6.1.0-x"), []byte("k"), 0o644); err != nil {
		t.Fatal(err)
	}
	err = PXE(context.Background(), io.Discard, Input{Root: root, WorkDir: work})
	if err == nil || !strings.Contains(err.Error(), "initrd.img-6.1.0-x") || !strings.Contains(err.Error(), "live-boot") {
		t.Errorf("error = %v, want one naming the initrd and live-boot", err)
	}
	assertEmptyDir(t, work)
}

func TestBadInput(t *testing.T) {
	root, work := fakeTree(t), t.TempDir()
	for _, p := range []string{"a b", "x=$y", "||", "it's", `a\b`, "", "tab\tx", "#c"} {
		err := PXE(context.Background(), io.Discard, Input{Root: root, WorkDir: work, KernelParams: []string{"quiet", p}})
		if err == nil || !strings.Contains(err.Error(), "kernel parameter 1") {
			t.Errorf("parameter %q: error = %v", p, err)
		}
	}
	if err := PXE(context.Background(), io.Discard, Input{WorkDir: work}); err == nil {
		t.Error("empty Root accepted")
	}
	if err := PXE(context.Background(), io.Discard, Input{Root: filepath.Join(root, "etc/hostname"), WorkDir: work}); err == nil {
		t.Error("a file as Root accepted")
	}
	// The kernel must be a file of the tree, not a link that may leave it.
	link := t.TempDir()
	if err := os.MkdirAll(filepath.Join(link, "boot"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"vmlinuz-6.1.0-x", "initrd.img-6.1.0-x"} {
		if err := os.Symlink(filepath.Join(root, "boot", n), filepath.Join(link, "boot", n)); err != nil {
			t.Fatal(err)
		}
	}
	// Resolved inside the tree, those absolute links lead nowhere: the host's
	// files they name are not even looked at.
	if err := PXE(context.Background(), io.Discard, Input{Root: link, WorkDir: work}); err == nil || !strings.Contains(err.Error(), "no /boot/vmlinuz-*") {
		t.Errorf("kernel symlinked out of the tree: error = %v", err)
	}
	// A link inside the tree is not handed to the tools either.
	for _, n := range []string{"vmlinuz-6.1.0-x", "initrd.img-6.1.0-x"} {
		if err := os.Remove(filepath.Join(link, "boot", n)); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(link, "boot", "real-"+n), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink("real-"+n, filepath.Join(link, "boot", n)); err != nil {
			t.Fatal(err)
		}
	}
	if err := PXE(context.Background(), io.Discard, Input{Root: link, WorkDir: work}); err == nil || !strings.Contains(err.Error(), "is a symlink") {
		t.Errorf("symlinked kernel: error = %v", err)
	}
	assertEmptyDir(t, work)
}

func TestVolumeID(t *testing.T) {
	for in, want := range map[string]string{
		"kiln-reference 1.0": "KILN_REFERENCE_1_0",
		"KILN_REF":           "KILN_REF",
		"  web--server  ":    "WEB_SERVER",
		"":                   "KILN_LIVE",
		"--- ":               "KILN_LIVE",
		"été 2024/α":         "T_2024",
		"a-very-long-appliance-name-with-version-12.3": "A_VERY_LONG_APPLIANCE_NAME_WITH",
		"abcdefghijklmnopqrstuvwxyz01234_6789":         "ABCDEFGHIJKLMNOPQRSTUVWXYZ01234",
	} {
		got := volumeID(in)
		if got != want {
			t.Errorf("volumeID(%q) = %q, want %q", in, got, want)
		}
		if len(got) > 32 || !regexp.MustCompile(`^[A-Z0-9_]+$`).MatchString(got) {
			t.Errorf("volumeID(%q) = %q is not a valid volume id", in, got)
		}
	}
}

func TestProgressBar(t *testing.T) {
	var got []float64
	p := &progressBar{report: func(f float64) { got = append(got, f) }}
	chunks := []string{"Parallel mksquashfs: Using 2 processors\nCreating 4.0 filesystem\n",
		"\r[====          ]  25/100  25%", "\r[=======  ", "      ] 50/100  50%\r[===", "=========] 100/100 100%\n",
		"\t50.01% of uncompressed filesystem size (968099.14 Kbytes)\n", "[junk] 7/0 1%\n"}
	for _, c := range chunks {
		if _, err := p.Write([]byte(c)); err != nil {
			t.Fatal(err)
		}
	}
	if len(got) != 3 || got[0] != 0.25 || got[1] != 0.5 || got[2] != 1 {
		t.Errorf("fractions = %v, want [0.25 0.5 1]", got)
	}
}

// TestCancel cancels a build while mksquashfs runs and while grub-mkrescue
// runs: the error is the context's, and neither the ISO nor anything in the
// work directory remains.
func TestCancel(t *testing.T) {
	needTools(t, "mksquashfs", "grub-mkrescue", "xorriso")
	root := fakeTree(t)
	t.Run("before", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		work := t.TempDir()
		if err := PXE(ctx, io.Discard, Input{Root: root, WorkDir: work}); !errors.Is(err, context.Canceled) {
			t.Errorf("error = %v", err)
		}
		assertEmptyDir(t, work)
	})
	t.Run("squashfs", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		work, dst := t.TempDir(), filepath.Join(t.TempDir(), "x.iso")
		// The first progress report comes from mksquashfs's bar.
		err := ISO(ctx, dst, Input{Root: root, WorkDir: work, Progress: func(int64, int64) { cancel() }})
		if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "mksquashfs") {
			t.Errorf("error = %v", err)
		}
		assertEmptyDir(t, work)
		if _, err := os.Stat(dst); !os.IsNotExist(err) {
			t.Errorf("ISO left behind: %v", err)
		}
	})
	t.Run("mkrescue", func(t *testing.T) {
		work, dst := t.TempDir(), filepath.Join(t.TempDir(), "x.iso")
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		// grub-mkrescue runs for seconds; cancel once it has started.
		go func() {
			deadline := time.Now().Add(30 * time.Second)
			for time.Now().Before(deadline) {
				if m, _ := filepath.Glob(filepath.Join(work, "*", "tmp", "*")); len(m) > 0 {
					break
				}
				time.Sleep(5 * time.Millisecond)
			}
			cancel()
		}()
		err := ISO(ctx, dst, Input{Root: root, WorkDir: work})
		if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "grub-mkrescue") {
			t.Errorf("error = %v", err)
		}
		assertEmptyDir(t, work)
		if _, err := os.Stat(dst); !os.IsNotExist(err) {
			t.Errorf("ISO left behind: %v", err)
		}
	})
}
