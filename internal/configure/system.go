package configure

import (
	"fmt"
	"strings"

	"github.com/kilnhq/kiln/internal/spec"
)

// hostname writes /etc/hostname (the short name, Debian's convention) and an
// /etc/hosts that resolves it without DNS (127.0.1.1, as Debian's installer does).
func hostname(t tree, name string) error {
	short, _, _ := strings.Cut(name, ".")
	if err := t.writeFile("/etc/hostname", []byte(short+"\n"), 0o644, rootOwner); err != nil {
		return err
	}
	names := short
	if name != short {
		names = name + " " + short
	}
	hosts := "127.0.0.1\tlocalhost\n" +
		"127.0.1.1\t" + names + "\n\n" +
		"# The following lines are desirable for IPv6 capable hosts\n" +
		"::1     localhost ip6-localhost ip6-loopback\n" +
		"ff02::1 ip6-allnodes\n" +
		"ff02::2 ip6-allrouters\n"
	return t.writeFile("/etc/hosts", []byte(hosts), 0o644, rootOwner)
}

// sshdDropIn is read by Debian's sshd_config ("Include /etc/ssh/sshd_config.d/*.conf",
// since bullseye), so the package's own sshd_config stays untouched for upgrades.
const sshdDropIn = "/etc/ssh/sshd_config.d/kiln.conf"

// hostKeyUnit generates the SSH host keys on first boot, before sshd starts, so
// that no two instances of an image share host keys (the keys made while
// bootstrapping are removed). ssh-keygen -A creates every missing default type.
const hostKeyUnit = `# Written by Kiln: SSH host keys are made on first boot, never shipped in the image.
[Unit]
Description=Generate SSH host keys
Before=ssh.service
ConditionPathExists=!/etc/ssh/ssh_host_ed25519_key

[Service]
Type=oneshot
ExecStart=/usr/bin/ssh-keygen -A

[Install]
WantedBy=multi-user.target ssh.service
`

const hostKeyUnitName = "kiln-ssh-hostkeys.service"

// configureSSH sets root's SSH login policy and the first-boot host keys. Without
// openssh-server in the tree there is nothing to do.
func configureSSH(t tree, in spec.Install) error {
	if !t.exists("/usr/sbin/sshd") {
		if len(in.RootSSHKeys) > 0 || in.DisableRootPasswordLogin {
			return fmt.Errorf("openssh-server: %w", errNotInstalled)
		}
		return nil
	}
	policy := ""
	switch {
	case in.DisableRootPasswordLogin:
		policy = "prohibit-password"
	case in.RootPassword != "" || in.RootPasswordHash != "":
		// The profile gave root a password and did not forbid using it remotely.
		policy = "yes"
	}
	if policy != "" {
		conf := "# Written by Kiln from the install profile.\nPermitRootLogin " + policy + "\n"
		if err := t.writeFile(sshdDropIn, []byte(conf), 0o644, rootOwner); err != nil {
			return err
		}
	}
	ents, err := t.ReadDir("/etc/ssh")
	if err != nil {
		return fmt.Errorf("read /etc/ssh: %w", err)
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), "ssh_host_") {
			if err := t.remove("/etc/ssh/" + e.Name()); err != nil {
				return err
			}
		}
	}
	unit := "/etc/systemd/system/" + hostKeyUnitName
	if err := t.writeFile(unit, []byte(hostKeyUnit), 0o644, rootOwner); err != nil {
		return err
	}
	return enableUnit(t, unit, "multi-user.target.wants", "ssh.service.wants")
}

// enableUnit does what systemctl enable does for [Install] WantedBy: a symlink in
// each target's .wants directory under /etc/systemd/system.
func enableUnit(t tree, unitPath string, wantsDirs ...string) error {
	name := unitPath[strings.LastIndexByte(unitPath, '/')+1:]
	for _, w := range wantsDirs {
		dir := "/etc/systemd/system/" + w
		if err := t.mkdirAll(dir, 0o755, rootOwner); err != nil {
			return err
		}
		if err := t.symlink(unitPath, dir+"/"+name); err != nil {
			return err
		}
	}
	return nil
}

// timezone points /etc/localtime at the zone file and writes /etc/timezone, after
// checking that tzdata in the tree has the zone.
func timezone(t tree, zone string) error {
	if strings.Contains(zone, "..") {
		return fmt.Errorf("invalid time zone %q", zone)
	}
	target := "/usr/share/zoneinfo/" + zone
	info, err := t.Stat(target)
	if err != nil || !info.Mode().IsRegular() {
		return fmt.Errorf("time zone %q: no zone file %s in the tree (is tzdata installed?)", zone, target)
	}
	if err := t.symlink(target, "/etc/localtime"); err != nil {
		return err
	}
	return t.writeFile("/etc/timezone", []byte(zone+"\n"), 0o644, rootOwner)
}

// keyboard writes /etc/default/keyboard, read by console-setup at boot (and by X).
// A keymap "fr-latin9" is layout "fr", variant "latin9".
func keyboard(t tree, keymap string) error {
	if keymap == "us" && !t.exists("/etc/default/keyboard") {
		return nil // the kernel's default map is us; nothing to configure
	}
	layout, variant, _ := strings.Cut(keymap, "-")
	conf := fmt.Sprintf("# KEYBOARD CONFIGURATION FILE\n# Written by Kiln. See keyboard(5).\n\n"+
		"XKBMODEL=\"pc105\"\nXKBLAYOUT=\"%s\"\nXKBVARIANT=\"%s\"\nXKBOPTIONS=\"\"\n\nBACKSPACE=\"guess\"\n", layout, variant)
	return t.writeFile("/etc/default/keyboard", []byte(conf), 0o644, rootOwner)
}

// identity empties /etc/machine-id so that every instance gets its own on first
// boot (systemd generates and commits it; an empty file also makes that boot a
// "first boot" for ConditionFirstBoot), and removes the D-Bus copy.
func identity(t tree) error {
	if err := t.writeFile("/etc/machine-id", nil, 0o444, rootOwner); err != nil {
		return err
	}
	return t.remove("/var/lib/dbus/machine-id")
}

// consoles makes sure a login prompt appears on tty1 and on the first serial port.
// systemd's getty generator would start serial-getty@ttyS0 only when the kernel
// command line says console=ttyS0; enabling it explicitly gives a serial login
// whatever the command line (the 8250 driver registers ttyS0 on every PC).
func consoles(t tree) error {
	for _, g := range []struct{ unit, template string }{
		{"getty@tty1.service", "getty@.service"},
		{"serial-getty@ttyS0.service", "serial-getty@.service"},
	} {
		tmpl := ""
		for _, dir := range []string{"/lib/systemd/system/", "/usr/lib/systemd/system/"} {
			if t.exists(dir + g.template) {
				tmpl = dir + g.template
				break
			}
		}
		if tmpl == "" {
			return fmt.Errorf("systemd unit %s: %w", g.template, errNotInstalled)
		}
		dir := "/etc/systemd/system/getty.target.wants"
		if err := t.mkdirAll(dir, 0o755, rootOwner); err != nil {
			return err
		}
		if err := t.symlink(tmpl, dir+"/"+g.unit); err != nil {
			return err
		}
	}
	return nil
}
