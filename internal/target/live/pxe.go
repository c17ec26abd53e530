package live

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// Members of the PXE tar. The names are what boot.ipxe asks for, relative to
// its own URL.
const (
	pxeScript     = "boot.ipxe"
	pxeReadmeName = "README.txt"
	pxeKernel     = "vmlinuz"
	pxeInitrd     = "initrd.img"
)

// PXE writes the network-boot bundle to dst as a tar: boot.ipxe, README.txt,
// vmlinuz, initrd.img and filesystem.squashfs, to be unpacked into one
// directory of an HTTP server. iPXE fetches the kernel and initrd next to the
// script; live-boot's initramfs then downloads the squashfs into RAM (fetch=),
// so the machine needs RAM for it on top of what the system uses.
//
// The squashfs is staged in WorkDir (a tar member's size comes first) and
// streamed into the tar; nothing is held in memory.
func PXE(ctx context.Context, dst io.Writer, in Input) (err error) {
	j, err := start(ctx, in)
	if err != nil {
		return err
	}
	defer func() {
		if rmErr := j.finish(); err == nil {
			err = rmErr
		}
	}()
	squash := filepath.Join(j.scratch, squashfsName)
	if err := j.squashfs(ctx, squash); err != nil {
		return err
	}
	tw := tar.NewWriter(dst)
	// One modification time for every member: the build's.
	mod := time.Now().UTC().Truncate(time.Second)
	small := []struct {
		name, text string
		mode       int64
	}{
		{pxeScript, ipxeScript(j.label, j.cmdline(pxeParams...)), 0o644},
		{pxeReadmeName, pxeReadmeText(j.label), 0o644},
	}
	for _, m := range small {
		hdr := &tar.Header{Typeflag: tar.TypeReg, Name: m.name, Size: int64(len(m.text)), Mode: m.mode,
			ModTime: mod, Uname: "root", Gname: "root", Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("live: tar %s: %w", m.name, err)
		}
		if _, err := io.WriteString(tw, m.text); err != nil {
			return fmt.Errorf("live: tar %s: %w", m.name, err)
		}
	}
	for _, m := range []struct{ name, path string }{
		{pxeKernel, j.kernel}, {pxeInitrd, j.initrd}, {squashfsName, squash},
	} {
		if err := tarFile(ctx, tw, m.name, m.path, mod); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("live: tar: %w", err)
	}
	j.report(0, true)
	return nil
}

// copyBlock is the unit files are streamed in; ctx is checked between blocks.
const copyBlock = 1 << 20

// tarFile streams the file at path into the member name.
func tarFile(ctx context.Context, tw *tar.Writer, name, path string, mod time.Time) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("live: tar %s: %w", name, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("live: tar %s: %w", name, err)
	}
	hdr := &tar.Header{Typeflag: tar.TypeReg, Name: name, Size: st.Size(), Mode: 0o644,
		ModTime: mod, Uname: "root", Gname: "root", Format: tar.FormatPAX}
	if err := tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("live: tar %s: %w", name, err)
	}
	buf := make([]byte, copyBlock)
	for {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("live: tar %s: %w", name, err)
		}
		n, rerr := f.Read(buf)
		if n > 0 {
			if _, err := tw.Write(buf[:n]); err != nil {
				return fmt.Errorf("live: tar %s: %w", name, err)
			}
		}
		if rerr == io.EOF {
			return nil
		}
		if rerr != nil {
			return fmt.Errorf("live: tar %s: %w", name, rerr)
		}
	}
}
