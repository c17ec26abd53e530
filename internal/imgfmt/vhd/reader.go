package vhd

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/kilnhq/kiln/internal/imgfmt"
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
	if err := imgfmt.ReadFull(r, b[:footerSize], fileSize-footerSize); err != nil {
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
	if err := imgfmt.ReadFull(r, b, int64(ft.DataOffset)); err != nil {
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
	read, block := r.readBlock, r.block
	if !r.Dynamic() { // a fixed disk is its own single block
		read = func(p []byte, _, in int64) error { return imgfmt.ReadFull(r.r, p, in) }
		block = max(r.size, 1)
	}
	return imgfmt.ReadBlocks(p, off, r.size, block, read)
}

func (r *Reader) readBlock(p []byte, blk, in int64) error {
	var e [4]byte
	if err := imgfmt.ReadFull(r.r, e[:], r.bat+blk*4); err != nil {
		return fmt.Errorf("vhd: read table entry %d: %w", blk, err)
	}
	s := binary.BigEndian.Uint32(e[:])
	if s == unallocated {
		clear(p)
		return nil
	}
	if err := imgfmt.ReadFull(r.r, p, int64(s)*sector+r.bitmap+in); err != nil {
		return fmt.Errorf("vhd: read block %d: %w", blk, err)
	}
	return nil
}
