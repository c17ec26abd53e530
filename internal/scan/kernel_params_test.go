package scan

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kilnhq/kiln/internal/record"
)

// Each parameter of the documented table is dropped with its reason, and the
// machine's own parameters are kept, whatever their neighbours.
func TestPortableParametersTable(t *testing.T) {
	dropped := map[string]string{
		"BOOT_IMAGE=/boot/vmlinuz-6.1.0-18-amd64": whyBootPlumbing,
		"initrd=/initrd.img":                      whyBootPlumbing,
		"root=UUID=abc":                           whyBootPlumbing,
		"rootflags=subvol=@":                      whyBootPlumbing,
		"rootfstype=ext4":                         whyBootPlumbing,
		"rootwait":                                whyBootPlumbing,
		"rootdelay=5":                             whyBootPlumbing,
		"ro":                                      whyBootPlumbing,
		"rw":                                      whyBootPlumbing,
		"resume=UUID=def":                         "the old machine's hibernation device, absent from the image",
		"resume_offset=1234":                      "the old machine's hibernation file offset, meaningless in the image",
		"init=/sbin/overlay-init":                 "the old platform's init: the image boots its own systemd",
		"rdinit=/process_api":                     "the old platform's init in the initramfs: the image's initramfs must run",
		"$vt_handoff":                             "a GRUB variable of the old boot loader, not a kernel parameter",
		"console=ttyS0":                           whyConsole,
		"earlycon=uart8250,io,0x3f8":              whyConsole,
		"earlyprintk=ttyS0":                       whyConsole,
		"nomodule":                                "forbids loading modules: the image needs its disk and network drivers",
		"panic=1":                                 "the old platform's reboot-on-panic policy: it turns a failed boot into a silent reboot loop",
		"reboot=k":                                whyPlatform + " (how to reset the machine)",
		"pci=off":                                 whyPlatform + " (pci=off leaves no disk or network on a PCI machine)",
		"acpi=off":                                whyPlatform + " (machines without ACPI)",
		"ip=172.16.0.2::172.16.0.1:255.255.255.0::eth0:off": "kernel-level network configuration of the old platform: the image configures its own network",
		"ds=nocloud-net":                                 "the old platform's cloud-init datasource: the target chooses its own",
		"random.trust_cpu=on":                            whyPlatform + " (trust in the old host's CPU random generator)",
		"tsc=reliable":                                   whyPlatform + " (clock source)",
		"no_timer_check":                                 whyPlatform + " (clock source)",
		"no-timer-check":                                 whyPlatform + " (clock source)",
		"clocksource=kvm-clock":                          whyPlatform + " (clock source)",
		"virtio_mmio.device=4K@0xd0000000:5":             whyPlatform + " (devices of the old virtual machine monitor)",
		"8250.nr_uarts=0":                                whyPlatform + " (serial ports of the old virtual machine)",
		"i8042.noaux":                                    whyPlatform + " (keyboard controller probing)",
		"i8042.dumbkbd":                                  whyPlatform + " (keyboard controller probing)",
		"nvme_core.io_timeout=4294967295":                whyPlatform + " (cloud block storage timeouts)",
		"xen_emul_unplug=unnecessary":                    whyPlatform + " (Xen)",
		"xen-pciback.hide=(00:02.0)":                     whyPlatform + " (Xen)",
		"hv_netvsc.ring_size=512":                        whyPlatform + " (Hyper-V)",
		"hyperv_clocksource=hyperv_clocksource_tsc_page": whyPlatform + " (Hyper-V)",
	}
	kept := []string{
		"net.ifnames=0", "biosdevname=0", "apparmor=1", "security=apparmor", "audit=1",
		"quiet", "splash", "nokaslr", "mitigations=off", "crashkernel=256M",
		"ipv6.disable=1", "systemd.unified_cgroup_hierarchy=1", "panic_on_oops=1",
		"consoleblank=0", "rootkit_check", "init_on_alloc=1", `dyndbg="file x.c +p"`,
	}
	for p, why := range dropped {
		line := "net.ifnames=0 " + p + " audit=1"
		k, d := portableParameters(line)
		if diff := cmp.Diff([]string{"net.ifnames=0", "audit=1"}, k); diff != "" {
			t.Errorf("%s: kept (-want +got):\n%s", p, diff)
		}
		if diff := cmp.Diff([]record.DroppedParameter{{Parameter: p, Reason: why}}, d); diff != "" {
			t.Errorf("%s: dropped (-want +got):\n%s", p, diff)
		}
	}
	for _, p := range kept {
		k, d := portableParameters("root=/dev/vda " + p + " ro")
		if diff := cmp.Diff([]string{p}, k); diff != "" {
			t.Errorf("%s: kept (-want +got):\n%s", p, diff)
		}
		if len(d) != 2 {
			t.Errorf("%s: dropped %v, want root= and ro only", p, d)
		}
	}
	// Every rule of the table is exercised above.
	for _, r := range droppedParameters {
		found := false
		for p := range dropped {
			if m := ruleFor(p); m != nil && m.key == r.key {
				found = true
			}
		}
		if !found {
			t.Errorf("rule %q has no test", r.key)
		}
	}
}

// The command line of issue 13: a Firecracker guest's /proc/cmdline.
func TestPortableParametersFirecracker(t *testing.T) {
	line := "reboot=k panic=1 pci=off nomodule 8250.nr_uarts=0 i8042.noaux i8042.nomux i8042.nopnp i8042.dumbkbd " +
		"console=ttyS0 console=ttyS0 rdinit=/process_api root=/dev/vda rw net.ifnames=0 apparmor=1 quiet quiet splash -- --api-sock /run/api"
	kept, dropped := portableParameters(line)
	if diff := cmp.Diff([]string{"net.ifnames=0", "apparmor=1", "quiet", "splash"}, kept); diff != "" {
		t.Errorf("kept (-want +got):\n%s", diff)
	}
	var names []string
	for _, d := range dropped {
		names = append(names, d.Parameter)
	}
	want := []string{"reboot=k", "panic=1", "pci=off", "nomodule", "8250.nr_uarts=0", "i8042.noaux", "i8042.nomux",
		"i8042.nopnp", "i8042.dumbkbd", "console=ttyS0", "console=ttyS0", "rdinit=/process_api", "root=/dev/vda", "rw",
		"quiet", "--api-sock", "/run/api"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("dropped (-want +got):\n%s", diff)
	}
	if dropped[14].Reason != whyRepeated || dropped[15].Reason != "an argument for the old init (after --)" {
		t.Errorf("reasons: %+v", dropped[14:])
	}
}

func TestGrubDefaultEntry(t *testing.T) {
	cfg := `### BEGIN /etc/grub.d/00_header ###
function load_video {
  if [ x$feature_all_video_module = xy ]; then
    insmod all_video
  fi
}
set default="1"
menuentry 'Debian GNU/Linux' --class debian $menuentry_id_option 'gnulinux-simple-x' {
	load_video
	linux	/boot/vmlinuz-6.1.0-18-amd64 root=UUID=x ro first
}
submenu 'Advanced options for Debian GNU/Linux' $menuentry_id_option 'gnulinux-advanced-x' {
	menuentry 'Debian GNU/Linux, with Linux 6.1.0-17-amd64' --class debian {
		linux	/boot/vmlinuz-6.1.0-17-amd64 root=UUID=x ro second  quiet
	}
}
`
	if got := grubDefaultEntry([]byte(cfg)); got != "root=UUID=x ro second  quiet" {
		t.Errorf("set default=1: %q", got)
	}
	if got := grubDefaultEntry([]byte(`set default="${saved_entry}"` + "\n" + cfg[strings.Index(cfg, "menuentry"):])); got != "root=UUID=x ro first" {
		t.Errorf("saved default: %q", got)
	}
	for _, bad := range []string{"", "menuentry x {\n\tlinux\n}\n", "}\n}\nlinux /v a\n"} {
		if got := grubDefaultEntry([]byte(bad)); got != "" {
			t.Errorf("%q: %q", bad, got)
		}
	}
}

// Offline, /etc/kernel/cmdline wins over GRUB's defaults, which win over
// grub.cfg; each is used when the ones before it are absent.
func TestOfflineKernelParameterSources(t *testing.T) {
	r := newTestRoot(t)
	read := func() ([]string, int) {
		tr, err := newTree(r.dir)
		if err != nil {
			t.Fatal(err)
		}
		var n notes
		k, d := readKernelParameters(tr, &n)
		return k, len(d)
	}
	r.write("/boot/grub/grub.cfg", "menuentry 'Debian' {\n\tlinux /boot/vmlinuz root=UUID=x ro from-grub-cfg console=ttyS0\n}\n")
	if k, d := read(); !cmp.Equal(k, []string{"from-grub-cfg"}) || d != 3 {
		t.Errorf("grub.cfg: kept %v, %d dropped", k, d)
	}
	r.write("/etc/default/grub", "GRUB_TIMEOUT=5\n")
	if k, _ := read(); !cmp.Equal(k, []string{"from-grub-cfg"}) {
		t.Errorf("grub defaults without a command line: kept %v", k)
	}
	r.write("/etc/default/grub.d/10-x.cfg", "GRUB_CMDLINE_LINUX=\"\"\n")
	if k, _ := read(); k != nil {
		t.Errorf("grub defaults with an empty command line: kept %v", k)
	}
	r.write("/etc/default/grub", "GRUB_CMDLINE_LINUX_DEFAULT=\"from-defaults\"\n")
	if k, _ := read(); !cmp.Equal(k, []string{"from-defaults"}) {
		t.Errorf("grub defaults: kept %v", k)
	}
	r.write("/etc/kernel/cmdline", "# kernel-install\nroot=UUID=x rw from-kernel-cmdline\naudit=1\n")
	if k, d := read(); !cmp.Equal(k, []string{"from-kernel-cmdline", "audit=1"}) || d != 2 {
		t.Errorf("/etc/kernel/cmdline: kept %v, %d dropped", k, d)
	}
}
