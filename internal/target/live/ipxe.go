package live

import "strings"

// pxeParams make live-boot's initramfs configure the network by DHCP and
// download the squashfs into RAM before mounting it. fetch= (a copy in RAM)
// rather than httpfs= (reads over the network for the system's lifetime):
// the running system does not depend on the HTTP server, and its own DHCP
// client may reconfigure the interface freely.
//
// fetch= needs an absolute URL, which only iPXE knows: ${base} is expanded by
// iPXE when it runs the script (see ipxeScript). BOOTIF is pxelinux's way of
// naming the NIC the machine booted from ("01-" and the MAC with hyphens);
// live-boot's Select_eth_device configures the NIC whose MAC matches it, and
// otherwise, on a machine with several NICs, the first one with a link.
// ${netX} is the NIC iPXE opened last: the one it booted from.
var pxeParams = []string{"fetch=${base}/" + squashfsName, "ip=dhcp", "BOOTIF=01-${netX/mac:hexhyp}"}

// ipxeScript is boot.ipxe. Relative names (vmlinuz, initrd.img) resolve
// against the script's own URL; the squashfs URL for the kernel command line
// comes from ${base}: iPXE builds from March 2024 on expose the script's
// directory as ${cwduri}, older ones (Debian 12's ipxe, 2019) do not and need
// base set before the script is chained. iPXE expands "${" everywhere, so the
// messages avoid it.
func ipxeScript(label string, params []string) string {
	var b strings.Builder
	b.WriteString("#!ipxe\n")
	b.WriteString("# Kiln live system " + label + ": written by kiln, see README.txt.\n")
	b.WriteString("# base is the URL of this directory, without a trailing slash.\n")
	b.WriteString("isset ${base} || set base ${cwduri} ||\n")
	b.WriteString("isset ${base} || goto nobase\n")
	b.WriteString("echo Booting " + label + " live, squashfs from ${base}\n")
	b.WriteString("kernel " + pxeKernel + " initrd=" + pxeInitrd + " " + strings.Join(params, " ") + "\n")
	b.WriteString("initrd " + pxeInitrd + "\n")
	b.WriteString("boot\n")
	b.WriteString(":nobase\n")
	b.WriteString("echo This iPXE does not tell scripts their own URL (cwduri came in 2024).\n")
	b.WriteString("echo Set base to the URL of the directory of boot.ipxe, then chain it:\n")
	b.WriteString("echo   set base http://SERVER/PATH\n")
	b.WriteString("echo   chain http://SERVER/PATH/boot.ipxe\n")
	b.WriteString("exit 1\n")
	return b.String()
}

// pxeReadmeText is README.txt of the PXE bundle.
func pxeReadmeText(label string) string {
	return strings.ReplaceAll(pxeReadme, "{{label}}", label)
}

const pxeReadme = `Kiln live system {{label}}: network boot bundle

Files (serve them together from one directory of an HTTP server):

  boot.ipxe            iPXE script: loads vmlinuz and initrd.img from its own directory
  vmlinuz              the Linux kernel
  initrd.img           its initramfs, with live-boot
  filesystem.squashfs  the root filesystem; the initramfs downloads it into RAM
                       (fetch=), so the machine needs its size in RAM on top of
                       what the system itself uses

Booting with iPXE

Point iPXE at boot.ipxe, e.g. with the DHCP boot file name
"http://SERVER/PATH/boot.ipxe", or from an iPXE prompt or script.

The kernel command line needs the absolute URL of filesystem.squashfs. The
script takes it from the iPXE variable "base" (the directory URL, no trailing
slash). iPXE builds from March 2024 on set it by themselves (from cwduri);
older ones, such as Debian 12's ipxe packages, need it set before the script
is chained:

  #!ipxe
  dhcp
  set base http://SERVER/PATH
  chain ${base}/boot.ipxe

Booting with PXELINUX (lpxelinux.0, which speaks HTTP) or GRUB

The kernel parameters are those of boot.ipxe with the URL written out:

  LABEL live
    KERNEL http://SERVER/PATH/vmlinuz
    INITRD http://SERVER/PATH/initrd.img
    APPEND boot=live components fetch=http://SERVER/PATH/filesystem.squashfs ip=dhcp console=tty0 console=ttyS0,115200n8

  menuentry "{{label}} live" {
    linux (http,SERVER)/PATH/vmlinuz boot=live components fetch=http://SERVER/PATH/filesystem.squashfs ip=dhcp console=tty0 console=ttyS0,115200n8
    initrd (http,SERVER)/PATH/initrd.img
  }

Append the install profile's kernel parameters, as boot.ipxe does.
`
