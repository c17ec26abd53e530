package pack

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/klauspost/pgzip"
)

// Input is what a packaging wraps.
type Input struct {
	Machine Machine
	// Disk is the path of the converted disk file: streamOptimized VMDK for
	// OVA and the VirtualBox box, monolithicSparse VMDK for VMX, qcow2 for KVM
	// and the libvirt box, raw for GCE.
	Disk string
	// Gzip compresses the whole artifact. Only the plain tar packagings (VMX,
	// KVM) honour it: the others are compressed by construction.
	Gzip bool
	// Progress, when set, receives the bytes of disk copied so far and the total.
	Progress func(done, total int64)
}

func (in Input) report(done, total int64) {
	if in.Progress != nil {
		in.Progress(done, total)
	}
}

// copyBuf is the size of the blocks streamed into tar members: large enough
// to keep syscalls and gzip calls few, small enough to be irrelevant in memory.
const copyBuf = 1 << 20

// archive writes tar members in one header format with one modification time.
type archive struct {
	tw     *tar.Writer
	format tar.Format
	mod    time.Time
}

func newArchive(w io.Writer, format tar.Format, mod time.Time) *archive {
	return &archive{tw: tar.NewWriter(w), format: format, mod: mod}
}

func (a *archive) header(name string, size int64, mode int64) *tar.Header {
	return &tar.Header{Typeflag: tar.TypeReg, Name: name, Size: size, Mode: mode,
		ModTime: a.mod, Uname: "root", Gname: "root", Format: a.format}
}

// bytes adds a small in-memory member (descriptors, scripts, metadata).
func (a *archive) bytes(name string, b []byte, mode int64) error {
	if err := a.tw.WriteHeader(a.header(name, int64(len(b)), mode)); err != nil {
		return fmt.Errorf("tar header %s: %w", name, err)
	}
	if _, err := a.tw.Write(b); err != nil {
		return fmt.Errorf("tar member %s: %w", name, err)
	}
	return nil
}

// file streams the file at path into member name; every byte also goes to
// each of also (hashes), so no second read is needed.
func (a *archive) file(ctx context.Context, name, path string, in Input, also ...io.Writer) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("open %s: %w", name, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, fmt.Errorf("stat %s: %w", name, err)
	}
	if err := a.tw.WriteHeader(a.header(name, st.Size(), 0o644)); err != nil {
		return 0, fmt.Errorf("tar header %s: %w", name, err)
	}
	dst := io.Writer(a.tw)
	if len(also) > 0 {
		dst = io.MultiWriter(append([]io.Writer{a.tw}, also...)...)
	}
	n, err := copyCtx(ctx, dst, f, st.Size(), in)
	if err != nil {
		return n, fmt.Errorf("tar member %s: %w", name, err)
	}
	return n, nil
}

func (a *archive) close() error {
	if err := a.tw.Close(); err != nil {
		return fmt.Errorf("close tar: %w", err)
	}
	return nil
}

// copyCtx copies src to dst in copyBuf blocks, checking ctx between blocks and
// reporting progress.
func copyCtx(ctx context.Context, dst io.Writer, src io.Reader, total int64, in Input) (int64, error) {
	buf := make([]byte, copyBuf)
	var done int64
	for {
		if err := ctx.Err(); err != nil {
			return done, err
		}
		n, rerr := src.Read(buf)
		if n > 0 {
			if _, err := dst.Write(buf[:n]); err != nil {
				return done, err
			}
			done += int64(n)
			in.report(done, total)
		}
		if rerr == io.EOF {
			return done, nil
		}
		if rerr != nil {
			return done, rerr
		}
	}
}

// withGzip runs body on dst, or on a parallel gzip stream over dst when on.
// BestSpeed: disks are mostly zeros or already-compressed data, where higher
// levels cost CPU for little.
func withGzip(dst io.Writer, on bool, body func(io.Writer) error) error {
	if !on {
		return body(dst)
	}
	zw, err := pgzip.NewWriterLevel(dst, pgzip.BestSpeed)
	if err != nil {
		return fmt.Errorf("gzip: %w", err)
	}
	if err := body(zw); err != nil {
		_ = zw.Close()
		return err
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("gzip: %w", err)
	}
	return nil
}

func fileSize(path string) (int64, error) {
	st, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}
