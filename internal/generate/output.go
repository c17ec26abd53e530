package generate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/klauspost/pgzip"

	"github.com/kilnhq/kiln/internal/imgfmt"
	"github.com/kilnhq/kiln/internal/plan"
	"github.com/kilnhq/kiln/internal/target"
	"github.com/kilnhq/kiln/internal/target/pack"
)

// writeFromDisk writes the artifact of a from the raw disk: the disk in its
// encoding (gzipped when the plan says so), or wrapped by its packaging.
func writeFromDisk(ctx context.Context, a *plan.Artifact, rawPath, dst string, progress func(int, string)) error {
	if a.Packaging == target.PackagingNone {
		return writeDiskFile(ctx, a, rawPath, dst, progress)
	}
	pk, err := packagerFor(a.Packaging)
	if err != nil {
		return err
	}
	if a.Machine == nil {
		return fmt.Errorf("plan: %s needs the virtual machine it declares", a.Format)
	}
	m := a.Machine
	in := pack.Input{Gzip: a.Gzip, Disk: rawPath, Machine: pack.Machine{Name: m.Name, MemoryMB: m.MemoryMB,
		HWType: m.HWType, DiskSize: m.DiskSize, Firmware: pack.Firmware(m.Firmware)}}
	packStart := 0
	if a.Disk != target.DiskRaw {
		// The converted disk lives next to the raw one, in the build
		// workspace, so that a crash leaves it where cleanup looks.
		tmp, err := os.CreateTemp(filepath.Dir(rawPath), ".pack-*."+a.Disk.QemuName())
		if err != nil {
			return fmt.Errorf("converted disk: %w", err)
		}
		tmp.Close()
		defer os.Remove(tmp.Name())
		if err := encode(ctx, a.Disk, false, rawPath, tmp.Name(), scaled(progress, 0, 70)); err != nil {
			return err
		}
		in.Disk, packStart = tmp.Name(), 70
	}
	msg := "packaging " + a.Format
	progress(packStart, msg)
	in.Progress = bytesProgress(scaled(progress, packStart, 100), msg)
	return toFileAt(dst, func(out *os.File) error { return pk(ctx, out, in) })
}

// writeDiskFile delivers the disk itself: encoded (with the writer's own
// compression when asked), or encoded and then gzipped as a whole.
func writeDiskFile(ctx context.Context, a *plan.Artifact, rawPath, dst string, progress func(int, string)) error {
	switch {
	case !a.Gzip:
		return encode(ctx, a.Disk, a.Compress, rawPath, dst, progress)
	case a.Disk == target.DiskRaw:
		return gzipFile(ctx, rawPath, dst, "compressing the raw disk", progress)
	}
	// The encoders need random access, gzip does not: encode next to the
	// destination, then gzip it into place in parallel.
	tmp := dst + ".disk"
	defer os.Remove(tmp)
	if err := encode(ctx, a.Disk, false, rawPath, tmp, scaled(progress, 0, 70)); err != nil {
		return err
	}
	return gzipFile(ctx, tmp, dst, "compressing "+a.Disk.QemuName(), scaled(progress, 70, 100))
}

// scaled maps a step's 0–100 onto lo–hi of the stage.
func scaled(progress func(int, string), lo, hi int) func(int, string) {
	return func(p int, msg string) { progress(lo+p*(hi-lo)/100, msg) }
}

// encode streams the raw disk through the writer of encoding d.
func encode(ctx context.Context, d target.Disk, compress bool, rawPath, dst string, progress func(int, string)) error {
	c, err := encoder(d)
	if err != nil {
		return err
	}
	src, err := os.Open(rawPath)
	if err != nil {
		return err
	}
	defer src.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_TRUNC|os.O_RDWR, 0o644)
	if err != nil {
		return err
	}
	msg := "writing " + d.QemuName()
	if compress {
		msg += " (compressed)"
	}
	progress(0, msg)
	err = c.Convert(ctx, src, out, imgfmt.Options{Compress: compress, Progress: bytesProgress(progress, msg)})
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}

// gzipFile compresses a disk file with parallel gzip. Holes are read as
// zeros, which gzip shrinks to almost nothing.
func gzipFile(ctx context.Context, path, dst, msg string, progress func(int, string)) error {
	src, err := os.Open(path)
	if err != nil {
		return err
	}
	defer src.Close()
	st, err := src.Stat()
	if err != nil {
		return err
	}
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	defer out.Close()
	zw, err := pgzip.NewWriterLevel(out, pgzip.BestSpeed)
	if err != nil {
		return err
	}
	buf := make([]byte, 4<<20)
	var done int64
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, rerr := src.Read(buf)
		if n > 0 {
			if _, err := zw.Write(buf[:n]); err != nil {
				return err
			}
			done += int64(n)
			progress(int(done*100/max(st.Size(), 1)), msg)
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return rerr
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return out.Close()
}

// fileSHA256 hashes a file, honouring ctx between blocks.
func fileSHA256(ctx context.Context, path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	buf := make([]byte, 1<<20)
	var n int64
	for {
		if err := ctx.Err(); err != nil {
			return "", 0, err
		}
		k, err := f.Read(buf)
		h.Write(buf[:k])
		n += int64(k)
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", 0, err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}
