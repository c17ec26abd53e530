package scan

import (
	"path"
	"slices"
	"strings"
)

// readKernelParameters returns the kernel command line worth carrying into an
// image. A live system's /proc/cmdline is what it really booted with; offline,
// GRUB's defaults (/etc/default/grub, then /etc/default/grub.d/*.cfg, as
// update-grub sources them) are the best record. Parameters that describe the
// old disk or boot loader (root=, BOOT_IMAGE=, initrd=, ro, rw) are dropped: the
// image's boot loader sets its own. Arguments after "--" belong to init and are
// dropped too.
func readKernelParameters(t *tree, n *notes) []string {
	var line string
	if t.live {
		line = string(readOptional(t, "/proc/cmdline", n))
	} else {
		vars := parseShellVars(readOptional(t, "/etc/default/grub", n), nil)
		names, _ := t.readDirNames("/etc/default/grub.d")
		for _, name := range names {
			if strings.HasSuffix(name, ".cfg") {
				parseShellVars(readOptional(t, path.Join("/etc/default/grub.d", name), n), vars)
			}
		}
		line = vars["GRUB_CMDLINE_LINUX"] + " " + vars["GRUB_CMDLINE_LINUX_DEFAULT"]
	}
	return portableParameters(line)
}

// portableParameters keeps the parameters of a command line that still mean
// something on a new disk, in order, without duplicates.
func portableParameters(line string) []string {
	var out []string
	for _, p := range splitCmdline(line) {
		if p == "--" {
			break // what follows is for init, not the kernel
		}
		if p == "ro" || p == "rw" || strings.HasPrefix(p, "root=") ||
			strings.HasPrefix(p, "BOOT_IMAGE=") || strings.HasPrefix(p, "initrd=") {
			continue
		}
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
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
