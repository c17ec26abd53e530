// Package container packages a configured root tree as container images:
// a Docker/OCI archive (Docker and OpenShift targets) and an LXD/Incus
// unified tarball (LXC target).
//
// Both read the tree once and stream it: the tree goes through
// internal/tartree into the artifact, compressed on both cores when asked,
// and only the Docker layer is staged on disk, because its digests must be
// known before the archive that names them is written.
package container

import (
	"errors"
	"fmt"
	"os"
	"time"
)

// Input is what both packagings read.
type Input struct {
	// Root is the configured root tree. It has no kernel: containers boot
	// none.
	Root string
	// WorkDir is a scratch directory on a big filesystem; the Docker layer
	// blob is staged there. It must exist.
	WorkDir string
	// Name is the image name (the appliance name): the Docker repository,
	// once made a valid reference, and the LXD "name" property.
	Name string
	// Version becomes the Docker tag ("latest" when empty) and the LXD
	// "version" property.
	Version string
	// Entrypoint is the exec form (see ParseEntrypoint). Empty means none,
	// and the image's command is /bin/bash.
	Entrypoint []string
	// Arch is the Debian architecture ("amd64"); "" means amd64.
	Arch string
	// Compress gzips the Docker layer, or the whole LXC tarball, on all
	// cores.
	Compress bool
	// ModTime is the creation time recorded in the image and the newest
	// mtime any file may carry; zero means now.
	ModTime time.Time
	// Progress, when set, receives the bytes of the tree archived so far and
	// the tree's total size.
	Progress func(done, total int64)
}

// prepared is an Input checked, with its defaults and derived values.
type prepared struct {
	Input
	created time.Time
	plat    platform
}

func prepare(in Input) (prepared, error) {
	if in.Root == "" {
		return prepared{}, errors.New("container image: no root tree given")
	}
	info, err := os.Stat(in.Root)
	if err != nil {
		return prepared{}, fmt.Errorf("container image root tree: %w", err)
	}
	if !info.IsDir() {
		return prepared{}, fmt.Errorf("container image root tree %s is not a directory", in.Root)
	}
	plat, err := platformOf(in.Arch)
	if err != nil {
		return prepared{}, err
	}
	created := in.ModTime
	if created.IsZero() {
		created = time.Now()
	}
	// Whole seconds in UTC: tar, the OCI config and LXD's creation_date all
	// agree, and the same input gives the same bytes.
	created = created.UTC().Truncate(time.Second)
	return prepared{Input: in, created: created, plat: plat}, nil
}

func (p prepared) report(done, total int64) {
	if p.Progress != nil {
		p.Progress(done, total)
	}
}
