package pack

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"os"

	"github.com/kilnhq/kiln/internal/imgfmt"
)

// GCEMember is the only name Compute Engine's image import accepts.
const GCEMember = "disk.raw"

// GCE writes a Compute Engine image tarball to dst: in.Disk (a raw disk) as
// disk.raw in a GNU-format tar (what GCE documents; "oldgnu" in GNU tar's
// words), gzip-compressed in parallel. in.Gzip is ignored: the format is a
// .tar.gz by definition.
//
// Go cannot write sparse tar members, so holes are written as zeros; they are
// produced from a zero buffer instead of being read, and cost gzip almost
// nothing. The raw file is streamed, never held in memory.
func GCE(ctx context.Context, dst io.Writer, in Input) error {
	m, err := in.Machine.normalized()
	if err != nil {
		return err
	}
	f, err := os.Open(in.Disk)
	if err != nil {
		return fmt.Errorf("gce: %w", err)
	}
	defer f.Close()
	src, err := imgfmt.FileSource(f)
	if err != nil {
		return fmt.Errorf("gce: %w", err)
	}
	return withGzip(dst, true, func(w io.Writer) error {
		a := newArchive(w, tar.FormatGNU, m.ModTime)
		if err := a.tw.WriteHeader(a.header(GCEMember, src.Size, 0o644)); err != nil {
			return fmt.Errorf("gce: tar header: %w", err)
		}
		if err := copySparse(ctx, a.tw, src, in); err != nil {
			return fmt.Errorf("gce: %w", err)
		}
		return a.close()
	})
}

// copySparse writes the whole virtual disk of src to w: extents are read,
// holes between them are written from a zero buffer.
func copySparse(ctx context.Context, w io.Writer, src imgfmt.Source, in Input) error {
	zeros := make([]byte, copyBuf)
	var pos int64
	writeZeros := func(n int64) error {
		for n > 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			k := min(n, int64(len(zeros)))
			if _, err := w.Write(zeros[:k]); err != nil {
				return err
			}
			n -= k
			pos += k
			in.report(pos, src.Size)
		}
		return nil
	}
	for _, e := range src.Extents {
		if e.Offset < pos || e.Offset+e.Length > src.Size {
			return fmt.Errorf("extent [%d, +%d) out of order or beyond %d bytes", e.Offset, e.Length, src.Size)
		}
		if err := writeZeros(e.Offset - pos); err != nil {
			return err
		}
		sub := Input{Progress: func(done, _ int64) { in.report(pos+done, src.Size) }}
		n, err := copyCtx(ctx, w, io.NewSectionReader(src.R, e.Offset, e.Length), e.Length, sub)
		if err != nil {
			return err
		}
		if n != e.Length {
			return fmt.Errorf("read %d of %d bytes at offset %d: file shrank", n, e.Length, e.Offset)
		}
		pos += n
	}
	return writeZeros(src.Size - pos)
}
