package pack

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Vagrant box members, as `vagrant package` writes them.
const (
	boxOVF  = "box.ovf"
	boxVMDK = "box-disk001.vmdk"
	boxImg  = "box.img"
)

// VagrantVirtualBox writes a .box (tar.gz) for Vagrant's virtualbox provider:
// metadata.json, Vagrantfile, box.ovf and box-disk001.vmdk (in.Disk, a
// streamOptimized VMDK). in.Gzip is ignored: a box is always a tar.gz.
func VagrantVirtualBox(ctx context.Context, dst io.Writer, in Input) error {
	m, err := in.Machine.normalized()
	if err != nil {
		return err
	}
	size, err := fileSize(in.Disk)
	if err != nil {
		return fmt.Errorf("vagrant: %w", err)
	}
	ovf, err := ovfDescriptor(m, boxVMDK, size)
	if err != nil {
		return err
	}
	vf := fmt.Sprintf(`Vagrant.configure("2") do |config|
  # VirtualBox gives an imported NIC a random MAC; Vagrant resets it to this one
  # so that the guest's network configuration keeps matching.
  config.vm.base_mac = %q
  config.vm.provider :virtualbox do |vb|
    vb.memory = %d
    vb.cpus = %d
  end
end
`, baseMAC(m), m.MemoryMB, m.CPUs)
	return box(ctx, dst, in, m, map[string]any{"provider": "virtualbox"}, vf,
		[]boxFile{{name: boxOVF, data: ovf}, {name: boxVMDK, path: in.Disk}})
}

// VagrantLibvirt writes a .box (tar.gz) for the vagrant-libvirt provider:
// metadata.json, Vagrantfile and box.img (in.Disk, a qcow2).
func VagrantLibvirt(ctx context.Context, dst io.Writer, in Input) error {
	m, err := in.Machine.normalized()
	if err != nil {
		return err
	}
	// virtual_size is whole GB; rounding up keeps the box disk at least as
	// large as the image, which vagrant-libvirt requires.
	gb := (m.DiskSize + 1<<30 - 1) >> 30
	vf := fmt.Sprintf(`Vagrant.configure("2") do |config|
  config.vm.provider :libvirt do |libvirt|
    libvirt.driver = "kvm"
    libvirt.memory = %d
    libvirt.cpus = %d
  end
end
`, m.MemoryMB, m.CPUs)
	return box(ctx, dst, in, m, map[string]any{"provider": "libvirt", "format": "qcow2", "virtual_size": gb}, vf,
		[]boxFile{{name: boxImg, path: in.Disk}})
}

// boxFile is a member given either as bytes or as the path of a file.
type boxFile struct {
	name string
	data []byte
	path string
}

func box(ctx context.Context, dst io.Writer, in Input, m Machine, meta map[string]any, vagrantfile string, files []boxFile) error {
	mj, err := json.Marshal(meta)
	if err != nil {
		return fmt.Errorf("vagrant: %w", err)
	}
	return withGzip(dst, true, func(w io.Writer) error {
		a := newArchive(w, tar.FormatGNU, m.ModTime)
		if err := a.bytes("metadata.json", append(mj, '\n'), 0o644); err != nil {
			return fmt.Errorf("vagrant: %w", err)
		}
		if err := a.bytes("Vagrantfile", []byte(vagrantfile), 0o644); err != nil {
			return fmt.Errorf("vagrant: %w", err)
		}
		for _, f := range files {
			if f.path == "" {
				err = a.bytes(f.name, f.data, 0o644)
			} else {
				_, err = a.file(ctx, f.name, f.path, in)
			}
			if err != nil {
				return fmt.Errorf("vagrant: %w", err)
			}
		}
		return a.close()
	})
}

// baseMAC derives a stable MAC in VirtualBox's OUI (08:00:27) from the
// machine's name and version: the same box always carries the same MAC.
func baseMAC(m Machine) string {
	h := sha256.Sum256([]byte(m.Name + "\x00" + m.Version))
	return strings.ToUpper(fmt.Sprintf("080027%02x%02x%02x", h[0], h[1], h[2]))
}
