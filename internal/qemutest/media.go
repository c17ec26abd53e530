package qemutest

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
)

// check validates the boot media of o before anything is started.
func (o Options) check() error {
	if o.Image == "" && o.CDROM == "" && o.NetBootURL == "" {
		return errors.New("qemutest: nothing to boot: set Image, CDROM or NetBootURL")
	}
	if o.Image != "" {
		if !formats[o.Format] {
			return fmt.Errorf("qemutest: unsupported image format %q", o.Format)
		}
		if _, err := os.Stat(o.Image); err != nil {
			return fmt.Errorf("qemutest: image: %w", err)
		}
		switch o.Interface {
		case "", "virtio", "ide", "scsi":
		default:
			return fmt.Errorf("qemutest: unsupported interface %q", o.Interface)
		}
	}
	if o.CDROM != "" {
		if _, err := os.Stat(o.CDROM); err != nil {
			return fmt.Errorf("qemutest: CD-ROM: %w", err)
		}
	}
	if o.NetBootURL != "" {
		if o.NoNetwork {
			return errors.New("qemutest: NetBootURL needs the network (NoNetwork is set)")
		}
		if u, err := url.Parse(o.NetBootURL); err != nil || (u.Scheme != "http" && u.Scheme != "tftp") || u.Host == "" {
			return fmt.Errorf("qemutest: NetBootURL %q is not an http:// or tftp:// URL", o.NetBootURL)
		}
	}
	return nil
}

// mediaArgs are the NIC, disk and CD-ROM arguments of o.
//
// Without a disk the boot device is chosen with bootindex, which both SeaBIOS
// and OVMF read from QEMU (OVMF ignores "-boot d" and "-boot n"): the NIC
// first when NetBootURL is set, then the CD-ROM. With a disk nothing carries a
// bootindex and the firmware boots the disk, as it always did here.
func (o Options) mediaArgs() []string {
	var args []string
	next := 0
	bootIndex := func() string {
		if o.Image != "" {
			return ""
		}
		s := fmt.Sprintf(",bootindex=%d", next)
		next++
		return s
	}
	switch {
	case o.NoNetwork:
		args = append(args, "-nic", "none")
	case o.NetBootURL != "":
		// QEMU's DHCP server sends bootfile as the boot file name; the iPXE
		// ROM of virtio-net-pci fetches it (HTTP or TFTP) and runs it.
		args = append(args,
			"-netdev", "user,id=net0,bootfile="+qemuEscape(o.NetBootURL),
			"-device", "virtio-net-pci,netdev=net0"+bootIndex())
	default:
		args = append(args, "-nic", "user,model=virtio-net-pci")
	}
	if o.Image != "" {
		file := "file=" + qemuEscape(o.Image) + ",format=" + o.Format
		switch o.Interface {
		case "", "virtio":
			args = append(args, "-drive", file+",if=virtio")
		case "ide":
			args = append(args, "-drive", file+",if=ide")
		case "scsi":
			args = append(args, "-device", "virtio-scsi-pci,id=scsi0",
				"-drive", file+",if=none,id=disk0",
				"-device", "scsi-hd,drive=disk0,bus=scsi0.0")
		}
	}
	if o.CDROM != "" {
		// The second IDE bus: the first one's master may be the disk.
		args = append(args,
			"-drive", "if=none,id=cd0,media=cdrom,readonly=on,format=raw,file="+qemuEscape(o.CDROM),
			"-device", "ide-cd,drive=cd0,bus=ide.1"+bootIndex())
	}
	return args
}

// qemuEscape doubles commas, QEMU's escape for option values.
func qemuEscape(s string) string { return strings.ReplaceAll(s, ",", ",,") }
