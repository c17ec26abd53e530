package artifact

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// holeBlock is the granularity at which zero runs become holes. Disk images are
// mostly zeros; writing them as holes keeps stored artifacts as sparse as the
// files they came from.
const holeBlock = 64 << 10

// sparseWriter writes to f, seeking over whole zero blocks instead of writing
// them. finish must be called to set the final size.
type sparseWriter struct {
	f   *os.File
	off int64
	buf []byte // partial block carried between writes
}

func (w *sparseWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		if len(w.buf) == 0 && len(p) >= holeBlock {
			if err := w.block(p[:holeBlock]); err != nil {
				return 0, err
			}
			p = p[holeBlock:]
			continue
		}
		take := min(holeBlock-len(w.buf), len(p))
		w.buf = append(w.buf, p[:take]...)
		p = p[take:]
		if len(w.buf) == holeBlock {
			if err := w.block(w.buf); err != nil {
				return 0, err
			}
			w.buf = w.buf[:0]
		}
	}
	return n, nil
}

func (w *sparseWriter) block(b []byte) error {
	if !allZero(b) {
		if _, err := w.f.WriteAt(b, w.off); err != nil {
			return err
		}
	}
	w.off += int64(len(b))
	return nil
}

func (w *sparseWriter) finish() error {
	if len(w.buf) > 0 {
		if err := w.block(w.buf); err != nil {
			return err
		}
		w.buf = w.buf[:0]
	}
	return w.f.Truncate(w.off) // extends over a trailing hole
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// copySparse copies size bytes of src into dst, reading only the data regions
// SEEK_DATA/SEEK_HOLE report and leaving holes as holes, and returns the
// SHA-256 of the whole content (holes hash as zeros).
func copySparse(ctx context.Context, dst, src *os.File, size int64) (string, error) {
	h := sha256.New()
	zeros := make([]byte, holeBlock)
	hashZeros := func(n int64) {
		for n > 0 {
			k := min(n, int64(len(zeros)))
			h.Write(zeros[:k])
			n -= k
		}
	}
	sw := &sparseWriter{f: dst}
	var off int64
	for off < size {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		data, err := unix.Seek(int(src.Fd()), off, unix.SEEK_DATA)
		if errors.Is(err, unix.ENXIO) {
			data = size // only a hole remains
		} else if err != nil {
			data = off // SEEK_DATA unsupported: treat everything as data
		}
		if data > off {
			if err := sw.flushTo(off); err != nil {
				return "", err
			}
			hashZeros(data - off)
			sw.off = data
			off = data
			continue
		}
		hole, err := unix.Seek(int(src.Fd()), off, unix.SEEK_HOLE)
		if err != nil {
			hole = size
		}
		hole = min(hole, size)
		if _, err := io.Copy(io.MultiWriter(sw, h), ctxReader{ctx, io.NewSectionReader(src, off, hole-off)}); err != nil {
			return "", fmt.Errorf("copy: %w", err)
		}
		off = hole
	}
	if err := sw.finish(); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// flushTo writes the partial block, which ends at off, before a jump.
func (w *sparseWriter) flushTo(off int64) error {
	if len(w.buf) == 0 {
		return nil
	}
	if w.off+int64(len(w.buf)) != off {
		return fmt.Errorf("sparse copy: internal offset mismatch")
	}
	err := w.block(w.buf)
	w.buf = w.buf[:0]
	return err
}
