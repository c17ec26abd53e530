package pack

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"strings"
)

// VMXFile returns the .vmx of a VMware Workstation/Server machine whose
// monolithicSparse disk is the file diskName next to it. Values need no
// escaping: names are reduced to [A-Za-z0-9._-].
func VMXFile(m Machine, diskName string) ([]byte, error) {
	m, err := m.normalized()
	if err != nil {
		return nil, err
	}
	return vmxFile(m, diskName), nil
}

func vmxFile(m Machine, diskName string) []byte {
	ctrl, dev := "scsi0", "lsilogic"
	if m.Controller == ControllerSATA {
		ctrl, dev = "sata0", ""
	}
	nic := "e1000"
	if m.NIC == NICVmxNet3 {
		nic = "vmxnet3"
	}
	kv := [][2]string{
		{".encoding", "UTF-8"},
		{"config.version", "8"},
		{"virtualHW.version", fmt.Sprint(m.HWType)},
		{"displayName", m.Name},
		{"guestOS", "debian11-64"},
		{"firmware", string(m.Firmware)},
		{"memsize", fmt.Sprint(m.MemoryMB)},
		{"numvcpus", fmt.Sprint(m.CPUs)},
		{ctrl + ".present", "TRUE"},
	}
	if dev != "" {
		kv = append(kv, [2]string{ctrl + ".virtualDev", dev})
	}
	kv = append(kv,
		[2]string{ctrl + ":0.present", "TRUE"},
		[2]string{ctrl + ":0.fileName", diskName},
		[2]string{ethernet0 + ".present", "TRUE"},
		[2]string{ethernet0 + ".virtualDev", nic},
		[2]string{ethernet0 + ".connectionType", "nat"},
		[2]string{ethernet0 + ".addressType", "generated"},
		// Without it Workstation asks on first power-on whether the VM was moved
		// or copied; "create" answers "copied": a fresh UUID and MAC.
		[2]string{"uuid.action", "create"},
	)
	var b strings.Builder
	for _, p := range kv {
		fmt.Fprintf(&b, "%s = %q\n", p[0], p[1])
	}
	return []byte(b.String())
}

const ethernet0 = "ethernet0"

// VMX writes a tar of NAME.vmx and in.Disk (a monolithicSparse VMDK) as
// NAME.vmdk, which VMware Workstation/Player/Server open once extracted;
// gzip-compressed when in.Gzip.
func VMX(ctx context.Context, dst io.Writer, in Input) error {
	m, err := in.Machine.normalized()
	if err != nil {
		return err
	}
	disk := m.Name + ".vmdk"
	vmx := vmxFile(m, disk)
	return withGzip(dst, in.Gzip, func(w io.Writer) error {
		// GNU headers: a monolithicSparse disk may exceed USTAR's 8 GiB.
		a := newArchive(w, tar.FormatGNU, m.ModTime)
		if err := a.bytes(m.Name+".vmx", vmx, 0o644); err != nil {
			return fmt.Errorf("vmx: %w", err)
		}
		if _, err := a.file(ctx, disk, in.Disk, in); err != nil {
			return fmt.Errorf("vmx: %w", err)
		}
		return a.close()
	})
}
