package plan

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/kilnhq/kiln/internal/configure"
	"github.com/kilnhq/kiln/internal/spec"
	"github.com/kilnhq/kiln/internal/target"
	"github.com/kilnhq/kiln/internal/target/container"
	"github.com/kilnhq/kiln/internal/target/pack"
)

// kindOf says what the tree becomes: a Docker or OpenShift image runs one
// process, an LXC container its own init, everything else boots a kernel.
func kindOf(f target.Format) configure.Kind {
	switch f.Packaging {
	case target.PackagingDocker:
		return configure.AppContainer
	case target.PackagingLXC:
		return configure.SystemContainer
	}
	return configure.Machine
}

// artifactOf decides how the file is written: its encoding, packaging, what
// the compress flag means for it, its name, and the virtual machine a
// packaging declares. diskSize is the raw disk's size (0 without a disk).
func artifactOf(s *spec.Spec, f target.Format, diskSize int64) (Artifact, error) {
	o := s.Output
	a := Artifact{FormatID: f.ID, Format: f.Name, Kind: strings.ToLower(f.Format), Disk: f.Disk, Packaging: f.Packaging}
	ext := f.Extension
	switch f.Packaging {
	case target.PackagingNone:
		a.Kind = f.Disk.QemuName()
		if f.Disk == target.DiskQCOW2 {
			a.Compress = o.Compress // compressed clusters: still a qcow2 every tool opens
		} else {
			a.Gzip = o.Compress // these encodings have no compression of their own
		}
	case target.PackagingVMX, target.PackagingKVMScript:
		a.Gzip = o.Compress && !f.Compressed() // plain tars
	case target.PackagingDocker:
		a.Compress = o.Compress // the layer is gzipped inside the archive
		ep, err := container.ParseEntrypoint(o.Entrypoint)
		if err != nil {
			return a, fmt.Errorf("output.entrypoint: %w", err)
		}
		a.Entrypoint = ep
	case target.PackagingLXC:
		a.Compress = o.Compress // the whole tarball is gzipped
		if o.Compress {
			ext += ".gz"
		}
	case target.PackagingISO, target.PackagingPXE:
		a.Label = s.Name
	} // OVA, Vagrant boxes and GCE's tar.gz are compressed by construction
	if a.Gzip {
		ext += ".gz"
	}
	base := fileBase(s)
	a.FileName, a.Extension = base+ext, ext
	if f.Packaging != target.PackagingNone && f.Disk != target.DiskNone {
		hw, err := pack.ParseHWType(o.HWType)
		if err != nil {
			return a, fmt.Errorf("output.hwType: %w", err)
		}
		if o.MemoryMB < 0 {
			return a, fmt.Errorf("output.memoryMB: %d is negative", o.MemoryMB)
		}
		firmware := pack.FirmwareBIOS // hybrid disks boot either way; BIOS is every hypervisor's default
		if f.Boot == target.BootUEFI {
			firmware = pack.FirmwareEFI
		}
		a.Machine = &Machine{Name: base, MemoryMB: o.MemoryMB, HWType: hw, DiskSize: diskSize, Firmware: string(firmware)}
	}
	return a, nil
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// fileBase is the artifact's file name without extension: name-version, made
// safe as a file name.
func fileBase(s *spec.Spec) string {
	base := s.Name
	if base == "" {
		base = "kiln-image"
	}
	if s.ImageVersion != "" {
		base += "-" + s.ImageVersion
	}
	base = strings.Trim(unsafeName.ReplaceAllString(base, "-"), "-.")
	if base == "" {
		return "kiln-image"
	}
	return base
}
