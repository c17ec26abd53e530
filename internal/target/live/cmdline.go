package live

import (
	"fmt"
	"strings"
)

// liveParams make live-boot's initramfs find the squashfs (on a medium, or
// fetched over the network) and mount it under an overlay. "components" is the
// Debian Live layout (/live/*.squashfs); without it live-boot falls back to
// its legacy probing.
var liveParams = []string{"boot=live", "components"}

// consoleParams are the disk images' (internal/disk): kernel messages on the
// screen and on the first serial port, the serial console last so that
// /dev/console, systemd's output and the getty tests log in on is ttyS0.
var consoleParams = []string{"console=tty0", "console=ttyS0,115200n8"}

// cmdline returns the kernel parameters: live-boot's, then extra (the boot
// method's), the consoles, and the install profile's last so they can override.
func (j *job) cmdline(extra ...string) []string {
	out := append([]string{}, liveParams...)
	out = append(out, extra...)
	out = append(out, consoleParams...)
	return append(out, j.params...)
}

// checkParams refuses kernel parameters that would change the meaning of the
// files they are written into rather than reach the kernel: whitespace splits
// words, quotes and backslashes are GRUB's quoting, "$" expands GRUB and iPXE
// variables, and "||", "&&" are iPXE's command operators. spec validation
// already refuses most of this; the artifacts must not depend on it.
func checkParams(params []string) error {
	for i, p := range params {
		bad := p == "" || p == "||" || p == "&&" || strings.HasPrefix(p, "#") ||
			strings.ContainsAny(p, "\"'\\$`")
		for _, r := range p {
			if r <= ' ' || r == 0x7f {
				bad = true
			}
		}
		if bad {
			return fmt.Errorf("live: kernel parameter %d (%q) must be one word without quotes, \"$\" or control characters", i, p)
		}
	}
	return nil
}

// maxVolumeID is ISO 9660's limit for the volume identifier (d-characters).
const maxVolumeID = 32

// defaultVolumeID names a medium whose label has nothing usable.
const defaultVolumeID = "KILN_LIVE"

// volumeID turns a label into an ISO 9660 volume identifier: upper case
// A–Z, 0–9 and "_" (what every firmware and blkid show unchanged), every run
// of other characters becoming one "_", at most 32 characters.
func volumeID(label string) string {
	var b strings.Builder
	pendingSep := false
	for _, r := range label {
		switch {
		case r >= 'a' && r <= 'z':
			r -= 'a' - 'A'
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		default:
			pendingSep = b.Len() > 0
			continue
		}
		if pendingSep {
			b.WriteByte('_')
			pendingSep = false
		}
		b.WriteRune(r)
	}
	id := b.String()
	if len(id) > maxVolumeID {
		id = strings.TrimRight(id[:maxVolumeID], "_")
	}
	if id == "" {
		return defaultVolumeID
	}
	return id
}
