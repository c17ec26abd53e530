package scan

import (
	"slices"
	"strings"

	"github.com/kilnhq/kiln/internal/record"
)

// paramRule is one kind of parameter a scan does not carry into the image.
// key matches a parameter's name (the text before '=') exactly; when family
// is set, it matches every name that starts with it (a module's or a
// platform's whole set of knobs).
type paramRule struct {
	key    string
	family bool
	reason string
}

// Reasons shared by several rules.
const (
	whyBootPlumbing = "boot plumbing of the old disk and boot loader: the image's boot loader sets its own"
	whyConsole      = "consoles belong to the target: Kiln's images set their own (tty0 and ttyS0)"
	whyPlatform     = "a knob of the old hypervisor or platform"
)

// droppedParameters is the documented list of what belongs to the source's old
// platform rather than to the machine. Everything else is kept: net.ifnames=0,
// apparmor=1, audit=1, mitigations=, crashkernel=, nokaslr, quiet, splash …
// are the administrator's choices and mean the same on any hardware. A real
// scan of a Firecracker guest (issue 13) carried rdinit=/process_api, nomodule
// and panic=1 into an image that then panicked at boot: every one of them is
// here.
var droppedParameters = []paramRule{
	// Boot plumbing.
	{key: "BOOT_IMAGE", reason: whyBootPlumbing},
	{key: "initrd", reason: whyBootPlumbing},
	{key: "root", reason: whyBootPlumbing},
	{key: "rootflags", reason: whyBootPlumbing},
	{key: "rootfstype", reason: whyBootPlumbing},
	{key: "rootwait", reason: whyBootPlumbing},
	{key: "rootdelay", reason: whyBootPlumbing},
	{key: "ro", reason: whyBootPlumbing},
	{key: "rw", reason: whyBootPlumbing},
	{key: "resume", reason: "the old machine's hibernation device, absent from the image"},
	{key: "resume_offset", reason: "the old machine's hibernation file offset, meaningless in the image"},
	{key: "init", reason: "the old platform's init: the image boots its own systemd"},
	{key: "rdinit", reason: "the old platform's init in the initramfs: the image's initramfs must run"},
	{key: "$", family: true, reason: "a GRUB variable of the old boot loader, not a kernel parameter"},
	// Consoles.
	{key: "console", reason: whyConsole},
	{key: "earlycon", reason: whyConsole},
	{key: "earlyprintk", reason: whyConsole},
	// Platform policies that break or hide a boot elsewhere.
	{key: "nomodule", reason: "forbids loading modules: the image needs its disk and network drivers"},
	{key: "panic", reason: "the old platform's reboot-on-panic policy: it turns a failed boot into a silent reboot loop"},
	{key: "reboot", reason: whyPlatform + " (how to reset the machine)"},
	{key: "pci", reason: whyPlatform + " (pci=off leaves no disk or network on a PCI machine)"},
	{key: "acpi", reason: whyPlatform + " (machines without ACPI)"},
	{key: "ip", reason: "kernel-level network configuration of the old platform: the image configures its own network"},
	{key: "ds", reason: "the old platform's cloud-init datasource: the target chooses its own"},
	{key: "random.trust_cpu", reason: whyPlatform + " (trust in the old host's CPU random generator)"},
	// Clocks tuned for the old hypervisor.
	{key: "tsc", reason: whyPlatform + " (clock source)"},
	{key: "no_timer_check", reason: whyPlatform + " (clock source)"},
	{key: "clocksource", reason: whyPlatform + " (clock source)"},
	// Devices of the old virtual machine monitor.
	{key: "virtio_mmio.", family: true, reason: whyPlatform + " (devices of the old virtual machine monitor)"},
	{key: "8250.nr_uarts", reason: whyPlatform + " (serial ports of the old virtual machine)"},
	{key: "i8042.", family: true, reason: whyPlatform + " (keyboard controller probing)"},
	{key: "nvme_core.io_timeout", reason: whyPlatform + " (cloud block storage timeouts)"},
	// Hypervisor families.
	{key: "xen_", family: true, reason: whyPlatform + " (Xen)"},
	{key: "hv_", family: true, reason: whyPlatform + " (Hyper-V)"},
	{key: "hyperv", family: true, reason: whyPlatform + " (Hyper-V)"},
}

const whyRepeated = "repeated: the same parameter is already kept"

// droppedBecause returns why p is not carried over, or "" when it is kept.
func droppedBecause(p string) string {
	if r := ruleFor(p); r != nil {
		return r.reason
	}
	return ""
}

// ruleFor returns the rule of droppedParameters that matches p, if any. The
// kernel treats '-' and '_' alike in parameter names (kernel/params.c
// parameq), so names are compared with dashes made underscores.
func ruleFor(p string) *paramRule {
	name, _, _ := strings.Cut(p, "=")
	name = strings.ReplaceAll(name, "-", "_")
	for i, r := range droppedParameters {
		if name == r.key || (r.family && strings.HasPrefix(name, r.key)) {
			return &droppedParameters[i]
		}
	}
	return nil
}

// portableParameters splits a kernel command line into the parameters that
// belong to the machine (kept, in order, each once) and those that belong to
// its old boot loader or platform (dropped, with the reason). Arguments after
// "--" are for init, not the kernel.
func portableParameters(line string) (kept []string, dropped []record.DroppedParameter) {
	words := splitCmdline(line)
	for i, p := range words {
		if p == "--" {
			for _, a := range words[i+1:] {
				dropped = append(dropped, record.DroppedParameter{Parameter: a, Reason: "an argument for the old init (after --)"})
			}
			break
		}
		why := droppedBecause(p)
		if why == "" && slices.Contains(kept, p) {
			why = whyRepeated
		}
		if why != "" {
			dropped = append(dropped, record.DroppedParameter{Parameter: p, Reason: why})
			continue
		}
		kept = append(kept, p)
	}
	return kept, dropped
}
