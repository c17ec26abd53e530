package imgfmt

import (
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// Extent is a byte range [Offset, Offset+Length) of a raw image.
type Extent struct {
	Offset int64
	Length int64
}

// End is the first byte after the extent.
func (e Extent) End() int64 { return e.Offset + e.Length }

// scanBlock is the granularity of the zero-block fallback scan.
const scanBlock = 64 << 10

// Extents lists the allocated (data) extents of f in increasing order, using
// SEEK_DATA/SEEK_HOLE. Where the filesystem does not support them, it falls back
// to reading the file and reporting its non-zero 64 KiB blocks.
//
// Holes read as zeros, so a converter that skips everything outside the extents
// reproduces the disk exactly. Extents may still contain zero blocks (written
// zeros, preallocated space); converters zero-detect inside them.
func Extents(f *os.File) ([]Extent, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("stat source image: %w", err)
	}
	size := st.Size()
	exts, err := seekExtents(f, size)
	if errors.Is(err, errSeekUnsupported) {
		return ScanExtents(f, size, scanBlock)
	}
	return exts, err
}

var errSeekUnsupported = errors.New("SEEK_DATA not supported")

func seekExtents(f *os.File, size int64) ([]Extent, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, errSeekUnsupported
	}
	var exts []Extent
	var serr error
	cerr := rc.Control(func(fd uintptr) {
		for off := int64(0); off < size; {
			data, err := unix.Seek(int(fd), off, unix.SEEK_DATA)
			if errors.Is(err, unix.ENXIO) {
				return // no data after off
			}
			if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.EOPNOTSUPP) {
				serr = errSeekUnsupported
				return
			}
			if err != nil {
				serr = fmt.Errorf("SEEK_DATA at %d: %w", off, err)
				return
			}
			hole, err := unix.Seek(int(fd), data, unix.SEEK_HOLE)
			if err != nil {
				serr = fmt.Errorf("SEEK_HOLE at %d: %w", data, err)
				return
			}
			hole = min(hole, size) // the file may grow under us; stick to the size we stat'ed
			if hole <= data {
				return
			}
			exts = append(exts, Extent{Offset: data, Length: hole - data})
			off = hole
		}
	})
	if cerr != nil {
		return nil, errSeekUnsupported
	}
	return exts, serr
}

// ScanExtents reports the non-zero blocks of r (of the given size) as extents,
// merging adjacent ones. It reads everything and is the fallback for
// filesystems without SEEK_DATA.
func ScanExtents(r io.ReaderAt, size int64, block int) ([]Extent, error) {
	if block <= 0 {
		return nil, fmt.Errorf("scan extents: block size %d", block)
	}
	buf := make([]byte, 16*block)
	var exts []Extent
	for off := int64(0); off < size; {
		n := int(min(int64(len(buf)), size-off))
		if _, err := r.ReadAt(buf[:n], off); err != nil && !(errors.Is(err, io.EOF) && n > 0) {
			return nil, fmt.Errorf("scan extents: read at %d: %w", off, err)
		}
		for i := 0; i < n; i += block {
			b := buf[i:min(i+block, n)]
			if IsZero(b) {
				continue
			}
			start := off + int64(i)
			if k := len(exts) - 1; k >= 0 && exts[k].End() == start {
				exts[k].Length += int64(len(b))
			} else {
				exts = append(exts, Extent{Offset: start, Length: int64(len(b))})
			}
		}
		off += int64(n)
	}
	return exts, nil
}

// AlignExtents widens each extent to multiples of block, clamps it to size and
// merges extents that then touch or overlap. exts must be sorted by offset, as
// Extents returns them.
func AlignExtents(exts []Extent, block, size int64) []Extent {
	var out []Extent
	for _, e := range exts {
		if e.Length <= 0 || e.Offset >= size {
			continue
		}
		start := e.Offset / block * block
		end := min(size, (e.End()+block-1)/block*block)
		if k := len(out) - 1; k >= 0 && out[k].End() >= start {
			out[k].Length = max(out[k].End(), end) - out[k].Offset
			continue
		}
		out = append(out, Extent{Offset: start, Length: end - start})
	}
	return out
}

// TotalLength is the sum of the extents' lengths.
func TotalLength(exts []Extent) int64 {
	var n int64
	for _, e := range exts {
		n += e.Length
	}
	return n
}
