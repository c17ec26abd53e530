package rootfs

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/kilnhq/kiln/internal/record"
	"github.com/kilnhq/kiln/internal/run"
)

// Installed lists the packages installed in the tree at root, read from its dpkg
// database with the host's dpkg-query (no chroot needed).
func Installed(ctx context.Context, root string) ([]record.InstalledPackage, error) {
	out, err := run.Output(ctx, run.Cmd{
		Name: "dpkg-query",
		Args: []string{
			"--admindir=" + filepath.Join(root, "var/lib/dpkg"),
			"-W", "-f=${db:Status-Abbrev}\t${Package}\t${Version}\t${Architecture}\n",
		},
	})
	if err != nil {
		return nil, fmt.Errorf("rootfs: list installed packages: %w", err)
	}
	var pkgs []record.InstalledPackage
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Split(line, "\t")
		// "ii " is installed; rc (removed, config left) and the like are not.
		if len(f) != 4 || !strings.HasPrefix(f[0], "ii") {
			continue
		}
		pkgs = append(pkgs, record.InstalledPackage{Name: f[1], Version: f[2], Arch: f[3]})
	}
	if len(pkgs) == 0 {
		return nil, fmt.Errorf("rootfs: no installed package in %s", root)
	}
	return pkgs, nil
}
