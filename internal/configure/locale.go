package configure

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/kilnhq/kiln/internal/run"
)

// locale writes /etc/default/locale and, for a locale other than C, enables it in
// /etc/locale.gen and compiles it with the tree's own locale-gen.
func locale(ctx context.Context, t tree, name string) error {
	conf := "# Written by Kiln.\nLANG=" + name + "\n"
	if err := t.writeFile("/etc/default/locale", []byte(conf), 0o644, rootOwner); err != nil {
		return err
	}
	if !needsGeneration(name) {
		return nil
	}
	if !t.exists("/usr/sbin/locale-gen") {
		return fmt.Errorf("locale %s needs the locales package: %w", name, errNotInstalled)
	}
	line, err := supportedLine(t, name)
	if err != nil {
		return err
	}
	if err := enableInLocaleGen(t, line); err != nil {
		return err
	}
	// localedef may update the archive in place: give it a file of its own first.
	if err := t.unshare("/usr/lib/locale/locale-archive"); err != nil {
		return err
	}
	if err := run.Run(ctx, inTree(t.Dir(), "/usr/sbin/locale-gen")); err != nil {
		return fmt.Errorf("generate locale %s: %w", name, err)
	}
	return nil
}

func needsGeneration(name string) bool {
	switch name {
	case "C", "POSIX", "C.UTF-8", "C.utf8":
		return false
	}
	return true
}

// supportedLine finds "fr_FR.UTF-8 UTF-8" for "fr_FR.UTF-8" in the tree's list of
// supported locales; a locale glibc does not know is an error here, not a silent
// fallback to C at boot.
func supportedLine(t tree, name string) (string, error) {
	data, err := t.readFile("/usr/share/i18n/SUPPORTED", false)
	if err != nil {
		return "", err
	}
	for _, l := range lines(data) {
		f := strings.Fields(l)
		if len(f) == 2 && f[0] == name {
			return f[0] + " " + f[1], nil
		}
	}
	return "", fmt.Errorf("locale %s is not in /usr/share/i18n/SUPPORTED", name)
}

// enableInLocaleGen uncomments line in /etc/locale.gen, or appends it. locale-gen
// (run again by every upgrade of the locales package) compiles what is listed.
func enableInLocaleGen(t tree, line string) error {
	data, err := t.readFile("/etc/locale.gen", true)
	if err != nil {
		return err
	}
	ls := lines(data)
	found := false
	for i, l := range ls {
		trimmed := strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(l), "#"))
		if strings.Join(strings.Fields(trimmed), " ") == line {
			ls[i] = line
			found = true
		}
	}
	if !found {
		ls = append(ls, line)
	}
	return t.writeFile("/etc/locale.gen", []byte(strings.Join(ls, "\n")+"\n"), 0o644, rootOwner)
}

// inTree runs a program of the tree with the tree as its root: chroot(8) as root,
// otherwise an unprivileged user namespace mapping the caller to root (files it
// creates belong to the caller, which a rootless pipeline maps back to root when
// it builds the filesystem). The environment is reset to the tree's defaults.
func inTree(root string, argv ...string) run.Cmd {
	env := []string{"LC_ALL=C", "LANG=C", "LANGUAGE=", "PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
	if os.Geteuid() == 0 {
		return run.Cmd{Name: "chroot", Args: append([]string{root}, argv...), Env: env}
	}
	return run.Cmd{Name: "unshare", Args: append([]string{"--map-root-user", "--root=" + root}, argv...), Env: env}
}
