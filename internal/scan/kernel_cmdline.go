package scan

import (
	"path"
	"strconv"
	"strings"

	"github.com/kilnhq/kiln/internal/record"
)

// readKernelParameters returns the kernel command line worth carrying into an
// image and what was left out of it (see portableParameters). A live system's
// /proc/cmdline is what it really booted with. Offline, the first of these
// that exists wins, most deliberate first:
//   - /etc/kernel/cmdline: written by hand for kernel-install (systemd-boot,
//     unified kernel images); Debian never creates it, so its presence is a choice;
//   - GRUB's defaults, when /etc/default/grub or /etc/default/grub.d/*.cfg (as
//     update-grub sources them) set GRUB_CMDLINE_LINUX or _DEFAULT: the source
//     update-grub generates grub.cfg from;
//   - the default entry's linux line in /boot/grub/grub.cfg: a hand-written
//     configuration, or one without /etc/default/grub.
func readKernelParameters(t *tree, n *notes) ([]string, []record.DroppedParameter) {
	if t.live {
		return portableParameters(string(readOptional(t, "/proc/cmdline", n)))
	}
	if data := readOptional(t, "/etc/kernel/cmdline", n); data != nil {
		var words []string
		for _, l := range strings.Split(string(data), "\n") {
			if l = strings.TrimSpace(l); l != "" && l[0] != '#' {
				words = append(words, l)
			}
		}
		return portableParameters(strings.Join(words, " "))
	}
	vars := parseShellVars(readOptional(t, "/etc/default/grub", n), nil)
	names, _ := t.readDirNames("/etc/default/grub.d")
	for _, name := range names {
		if strings.HasSuffix(name, ".cfg") {
			parseShellVars(readOptional(t, path.Join("/etc/default/grub.d", name), n), vars)
		}
	}
	linux, okLinux := vars["GRUB_CMDLINE_LINUX"]
	def, okDefault := vars["GRUB_CMDLINE_LINUX_DEFAULT"]
	if okLinux || okDefault {
		return portableParameters(linux + " " + def)
	}
	return portableParameters(grubDefaultEntry(readOptional(t, "/boot/grub/grub.cfg", n)))
}

// grubDefaultEntry returns the parameters of the linux line of grub.cfg's
// default entry: the top-level entry numbered by "set default=N" (the first
// when the default is a name, a variable or unset, as update-grub writes it
// for GRUB_DEFAULT=0), or the first entry inside it when it is a submenu.
func grubDefaultEntry(cfg []byte) string {
	want := 0
	depth, top := 0, -1
	for _, l := range strings.Split(string(cfg), "\n") {
		l = strings.TrimSpace(l)
		f := strings.Fields(l)
		switch {
		case len(f) == 0 || l[0] == '#':
		case depth == 0 && strings.HasPrefix(l, "set default="):
			if n, err := strconv.Atoi(strings.Trim(strings.TrimPrefix(l, "set default="), `"'`)); err == nil {
				want = n
			}
		case strings.HasSuffix(l, "{"):
			if depth == 0 && (f[0] == "menuentry" || f[0] == "submenu") {
				top++
			}
			depth++
		case l == "}":
			depth--
		case top == want && depth > 0 && (f[0] == "linux" || f[0] == "linuxefi" || f[0] == "linux16"):
			if len(f) < 2 {
				return ""
			}
			// The words after the kernel's path, as GRUB passes them.
			return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(strings.TrimPrefix(l, f[0])), f[1]))
		}
	}
	return ""
}

// splitCmdline splits a kernel command line on blanks outside double quotes, as
// the kernel does (quotes are kept: they are part of the parameter's text).
func splitCmdline(s string) []string {
	var out []string
	var cur strings.Builder
	quoted := false
	for _, r := range s {
		switch {
		case r == '"':
			quoted = !quoted
			cur.WriteRune(r)
		case !quoted && (r == ' ' || r == '\t' || r == '\n'):
			if cur.Len() > 0 {
				out = append(out, cur.String())
				cur.Reset()
			}
		default:
			cur.WriteRune(r)
		}
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}
