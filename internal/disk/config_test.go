package disk

import (
	"strings"
	"testing"

	"github.com/kilnhq/kiln/internal/spec"
)

func TestFstab(t *testing.T) {
	l, err := Plan(spec.Disk{SizeMB: 4096, SwapMB: 128, Partitions: []spec.Partition{
		{MountPoint: "/", SizeMB: 2000}, {MountPoint: "/home", Grow: true}}}, seeded())
	if err != nil {
		t.Fatal(err)
	}
	got := Fstab(l)
	want := []string{
		"UUID=" + l.Root().UUID + "\t/\text4\terrors=remount-ro\t0\t1",
		"UUID=" + l.ESP().UUID + "\t/boot/efi\tvfat\tumask=0077\t0\t1",
		"UUID=" + l.Partitions[3].UUID + "\t/home\text4\tdefaults\t0\t2",
		"UUID=" + l.Partitions[4].UUID + "\tnone\tswap\tsw\t0\t0",
	}
	var lines []string
	for _, line := range strings.Split(strings.TrimSpace(got), "\n") {
		if !strings.HasPrefix(line, "#") {
			lines = append(lines, line)
		}
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Fatalf("fstab:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
}

func TestGrubCfg(t *testing.T) {
	got := GrubCfg(GrubConfig{
		Title: "Debian GNU/Linux 12 (bookworm)", RootUUID: "0e6e1a34-5e1f-4b8c-9d1a-3c9f7d2b1a00",
		Kernel: "/boot/vmlinuz-6.1.0-18-amd64", Initrd: "/boot/initrd.img-6.1.0-18-amd64",
		KernelParams: []string{"quiet", "net.ifnames=0"}, TimeoutSec: 1,
	})
	for _, want := range []string{
		"set timeout=1\n",
		"serial --unit=0 --speed=115200",
		"terminal_input serial console\n",
		"terminal_output serial console\n",
		"menuentry 'Debian GNU/Linux 12 (bookworm)' --id kiln-default {\n",
		"\tsearch --no-floppy --fs-uuid --set=root 0e6e1a34-5e1f-4b8c-9d1a-3c9f7d2b1a00\n",
		"\tlinux /boot/vmlinuz-6.1.0-18-amd64 root=UUID=0e6e1a34-5e1f-4b8c-9d1a-3c9f7d2b1a00 ro console=tty0 console=ttyS0,115200n8 quiet net.ifnames=0\n",
		"\tinitrd /boot/initrd.img-6.1.0-18-amd64\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("grub.cfg lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "insmod") || strings.Contains(got, "os-prober") {
		t.Errorf("grub.cfg must be static and need no module directory:\n%s", got)
	}
}

func TestGrubQuote(t *testing.T) {
	for in, want := range map[string]string{
		"console=ttyS0,115200n8": "console=ttyS0,115200n8",
		"it's":                   `'it'\''s'`,
		"a b":                    "'a b'",
		"$x":                     "'$x'",
	} {
		if got := grubQuote(in); got != want {
			t.Errorf("grubQuote(%q) = %q, want %q", in, got, want)
		}
	}
}
