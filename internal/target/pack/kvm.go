package pack

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"text/template"
)

// runScript boots the image with QEMU. It picks KVM when /dev/kvm is usable
// and falls back to TCG so the script works anywhere; -cpu max is valid for
// both. Extra arguments go to QEMU (e.g. -nographic).
var runScript = template.Must(template.New("run.sh").Parse(`#!/bin/sh
# Boots {{.M.Name}} under QEMU. Written by Kiln.
# Usage: ./run.sh [extra qemu-system-x86_64 arguments, e.g. -nographic]
set -e
cd "$(dirname "$0")"
accel=tcg
if [ -w /dev/kvm ]; then accel=kvm; fi
exec qemu-system-x86_64 -machine q35,accel="$accel" -cpu max \
  -smp {{.M.CPUs}} -m {{.M.MemoryMB}} \
{{- if eq .M.Firmware "efi"}}
  -bios /usr/share/ovmf/OVMF.fd \
{{- end}}
  -drive file={{.Disk}},format=qcow2,if=virtio \
  -nic user,model=virtio-net-pci \
  "$@"
`))

// KVM writes a tar of in.Disk (qcow2) as NAME.qcow2 and an executable run.sh
// that boots it, gzip-compressed when in.Gzip.
func KVM(ctx context.Context, dst io.Writer, in Input) error {
	m, err := in.Machine.normalized()
	if err != nil {
		return err
	}
	disk := m.Name + ".qcow2"
	var script bytes.Buffer
	if err := runScript.Execute(&script, struct {
		M    Machine
		Disk string
	}{m, disk}); err != nil {
		return fmt.Errorf("kvm: %w", err)
	}
	return withGzip(dst, in.Gzip, func(w io.Writer) error {
		a := newArchive(w, tar.FormatGNU, m.ModTime)
		if err := a.bytes("run.sh", script.Bytes(), 0o755); err != nil {
			return fmt.Errorf("kvm: %w", err)
		}
		if _, err := a.file(ctx, disk, in.Disk, in); err != nil {
			return fmt.Errorf("kvm: %w", err)
		}
		return a.close()
	})
}
