package vhd

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Reader reads the virtual disk of a fixed or dynamic VHD. It is safe for
// concurrent use. Table entries are read on demand, so a hostile header
// cannot make Open or ReadAt allocate in proportion to its claims.
//
// Sector bitmaps are not consulted: for non-differencing disks a block that
// is allocated is read as stored, as qemu and Hyper-V do.
type Reader struct {
	r       io.ReaderAt
	ft      footer
	size    int64
	block   int64 // dynamic: data block size
	bitmap  int64 // dynamic: bytes of sector bitmap before each block's data
	bat     int64 // dynamic: offset of the table
	entries int64
}

// maxReadBlock bounds the block size accepted from a header (the spec allows
// any power of two; 256 MiB is far above what any tool writes).
const maxReadBlock = 256 << 20

// Open parses the footer at the end of a VHD of the given file size and, for
// dynamic disks, the dynamic header it points to.
func Open(r io.ReaderAt, fileSize int64) (*Reader, error) {
	if fileSize < footerSize {
		return nil, errors.New("vhd: file too short for a footer")
	}
	b := make([]byte, dynHdrSize)
	if err := readFull(r, b[:footerSize], fileSize-footerSize); err != nil {
		return nil, fmt.Errorf("vhd: read footer: %w", err)
	}
	ft, err := unmarshalFooter(b[:footerSize])
	if err != nil {
		return nil, fmt.Errorf("vhd: footer: %w", err)
	}
	rd := &Reader{r: r, ft: ft, size: int64(ft.CurSize)}
	switch ft.DiskType {
	case diskFixed:
		if ft.CurSize > uint64(fileSize-footerSize) {
			return nil, fmt.Errorf("vhd: fixed disk of %d bytes in a %d-byte file", ft.CurSize, fileSize)
		}
		return rd, nil
	case diskDynamic:
	default:
		return nil, fmt.Errorf("vhd: disk type %d unsupported", ft.DiskType)
	}
	if ft.CurSize > maxDynamicSize {
		return nil, fmt.Errorf("vhd: dynamic disk of %d bytes too large", ft.CurSize)
	}
	if ft.DataOffset > uint64(fileSize) {
		return nil, fmt.Errorf("vhd: dynamic header offset %d beyond the file", ft.DataOffset)
	}
	if err := readFull(r, b, int64(ft.DataOffset)); err != nil {
		return nil, fmt.Errorf("vhd: read dynamic header: %w", err)
	}
	h, err := unmarshalDynHeader(b)
	if err != nil {
		return nil, fmt.Errorf("vhd: %w", err)
	}
	bs := int64(h.BlockSize)
	if bs < sector || bs > maxReadBlock || bs&(bs-1) != 0 {
		return nil, fmt.Errorf("vhd: block size %d unsupported", bs)
	}
	if int64(h.MaxTableEntries)*bs < rd.size {
		return nil, fmt.Errorf("vhd: %d table entries do not cover %d bytes", h.MaxTableEntries, rd.size)
	}
	if h.TableOffset > uint64(fileSize) {
		return nil, fmt.Errorf("vhd: table offset %d beyond the file", h.TableOffset)
	}
	rd.block, rd.bat, rd.entries = bs, int64(h.TableOffset), int64(h.MaxTableEntries)
	rd.bitmap = (bs/sector/8 + sector - 1) / sector * sector
	return rd, nil
}

// Size is the virtual size of the disk (the footer's current size).
func (r *Reader) Size() int64 { return r.size }

// Dynamic reports whether the image is a dynamic disk.
func (r *Reader) Dynamic() bool { return r.ft.DiskType == diskDynamic }

// ReadAt reads the virtual disk; unallocated blocks read as zeros.
func (r *Reader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("vhd: negative offset %d", off)
	}
	if off >= r.size {
		if len(p) == 0 {
			return 0, nil
		}
		return 0, io.EOF
	}
	var eof error
	if int64(len(p)) > r.size-off {
		p, eof = p[:r.size-off], io.EOF
	}
	if !r.Dynamic() {
		if err := readFull(r.r, p, off); err != nil {
			return 0, fmt.Errorf("vhd: read at %d: %w", off, err)
		}
		return len(p), eof
	}
	for done := 0; done < len(p); {
		pos := off + int64(done)
		in := pos % r.block
		n := int(min(int64(len(p)-done), r.block-in))
		if err := r.readBlock(p[done:done+n], pos/r.block, in); err != nil {
			return done, err
		}
		done += n
	}
	return len(p), eof
}

func (r *Reader) readBlock(p []byte, blk, in int64) error {
	var e [4]byte
	if err := readFull(r.r, e[:], r.bat+blk*4); err != nil {
		return fmt.Errorf("vhd: read table entry %d: %w", blk, err)
	}
	s := binary.BigEndian.Uint32(e[:])
	if s == unallocated {
		clear(p)
		return nil
	}
	if err := readFull(r.r, p, int64(s)*sector+r.bitmap+in); err != nil {
		return fmt.Errorf("vhd: read block %d: %w", blk, err)
	}
	return nil
}

// readFull reads len(b) bytes at off; a short read is an error.
func readFull(r io.ReaderAt, b []byte, off int64) error {
	n, err := r.ReadAt(b, off)
	if n == len(b) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return err
}
