package pack

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"
)

// OVA writes an OVA (OVF package in a tar) to dst, which must be an empty
// regular file: VirtualBox, VMware Workstation/vCenter and CloudStack import it.
// in.Disk is a streamOptimized VMDK. Members are, in the order OVF requires,
// NAME.ovf, NAME.mf (SHA256 lines) and NAME-disk1.vmdk.
//
// The manifest precedes the disk but lists its digest. Rather than read the
// disk twice, the manifest is written with a placeholder digest of the same
// length, the digest is computed while the disk is copied, and the manifest
// bytes are then overwritten in place: dst must support WriteAt.
//
// The tar is USTAR, the only header format every importer accepts, so a disk
// file above 8 GiB is an error (streamOptimized compression keeps real
// appliances far below it). in.Gzip is ignored: the grains are compressed.
func OVA(ctx context.Context, dst *os.File, in Input) error {
	m, err := in.Machine.normalized()
	if err != nil {
		return err
	}
	base := m.Name
	ovfName, mfName, diskName := base+".ovf", base+".mf", base+"-disk1.vmdk"
	st, err := os.Stat(in.Disk)
	if err != nil {
		return fmt.Errorf("ova: disk: %w", err)
	}
	ovf, err := ovfDescriptor(m, diskName, st.Size())
	if err != nil {
		return err
	}
	ovfSum := sha256.Sum256(ovf)
	placeholder := strings.Repeat("0", sha256.Size*2)
	manifest := func(diskSum string) []byte {
		return []byte(fmt.Sprintf("SHA256(%s)= %s\nSHA256(%s)= %s\n", ovfName, hex.EncodeToString(ovfSum[:]), diskName, diskSum))
	}

	start, err := dst.Seek(0, io.SeekCurrent)
	if err != nil {
		return fmt.Errorf("ova: %w", err)
	}
	cw := &countingWriter{w: dst, n: start}
	a := newArchive(cw, tar.FormatUSTAR, m.ModTime)
	if err := a.bytes(ovfName, ovf, 0o644); err != nil {
		return fmt.Errorf("ova: %w", err)
	}
	mf := manifest(placeholder)
	if err := a.tw.WriteHeader(a.header(mfName, int64(len(mf)), 0o644)); err != nil {
		return fmt.Errorf("ova: tar header %s: %w", mfName, err)
	}
	// tar.Writer does not buffer: the member's content starts at the byte
	// count reached once its header is written.
	mfAt := cw.n
	if _, err := a.tw.Write(mf); err != nil {
		return fmt.Errorf("ova: %w", err)
	}
	h := sha256.New()
	if _, err := a.file(ctx, diskName, in.Disk, in, h); err != nil {
		return fmt.Errorf("ova: %w", err)
	}
	if err := a.close(); err != nil {
		return fmt.Errorf("ova: %w", err)
	}
	final := manifest(hex.EncodeToString(h.Sum(nil)))
	if len(final) != len(mf) {
		return fmt.Errorf("ova: manifest changed length (%d → %d)", len(mf), len(final))
	}
	if _, err := dst.WriteAt(final, mfAt); err != nil {
		return fmt.Errorf("ova: write manifest: %w", err)
	}
	return nil
}

// countingWriter counts the bytes written through it, giving file offsets.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
