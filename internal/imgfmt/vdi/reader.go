package vdi

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/kilnhq/kiln/internal/imgfmt"
)

// Reader reads the virtual disk of a VDI 1.1 image (normal or fixed type).
// It is safe for concurrent use. Block map entries are read on demand, so a
// hostile header cannot make it allocate in proportion to its claims.
type Reader struct {
	r     io.ReaderAt
	h     header
	size  int64
	block int64
}

// maxReadBlock bounds the block size accepted from a header.
const maxReadBlock = 256 << 20

// Open parses the header of a VDI of the given file size.
func Open(r io.ReaderAt, fileSize int64) (*Reader, error) {
	b := make([]byte, sector)
	if fileSize < sector {
		return nil, errors.New("vdi: file too short for a header")
	}
	if err := imgfmt.ReadFull(r, b, 0); err != nil {
		return nil, fmt.Errorf("vdi: read header: %w", err)
	}
	h, err := unmarshalHeader(b)
	if err != nil {
		return nil, fmt.Errorf("vdi: header: %w", err)
	}
	bs := int64(h.BlockSize)
	switch {
	case h.Type != typeNormal && h.Type != 2: // 2: fixed, same layout, every block allocated
		return nil, fmt.Errorf("vdi: image type %d unsupported", h.Type)
	case h.SectorSize != sector:
		return nil, fmt.Errorf("vdi: sector size %d unsupported", h.SectorSize)
	case bs < sector || bs > maxReadBlock || bs&(bs-1) != 0:
		return nil, fmt.Errorf("vdi: block size %d unsupported", bs)
	case h.BlockExtra != 0:
		return nil, fmt.Errorf("vdi: %d extra bytes per block unsupported", h.BlockExtra)
	case h.DiskSize > uint64(h.Blocks)*uint64(bs):
		return nil, fmt.Errorf("vdi: %d blocks do not cover %d bytes", h.Blocks, h.DiskSize)
	case h.UUIDLinkage != [16]byte{} || h.UUIDParent != [16]byte{}:
		return nil, errors.New("vdi: differencing images unsupported")
	case int64(h.OffBlocks) > fileSize || int64(h.OffData) > fileSize:
		return nil, errors.New("vdi: block map or data offset beyond the file")
	}
	return &Reader{r: r, h: h, size: int64(h.DiskSize), block: bs}, nil
}

// Size is the virtual size of the disk.
func (r *Reader) Size() int64 { return r.size }

// ReadAt reads the virtual disk; unallocated blocks read as zeros.
func (r *Reader) ReadAt(p []byte, off int64) (int, error) {
	return imgfmt.ReadBlocks(p, off, r.size, r.block, r.readBlock)
}

func (r *Reader) readBlock(p []byte, blk, in int64) error {
	var e [4]byte
	if err := imgfmt.ReadFull(r.r, e[:], int64(r.h.OffBlocks)+blk*4); err != nil {
		return fmt.Errorf("vdi: read block map entry %d: %w", blk, err)
	}
	idx := binary.LittleEndian.Uint32(e[:])
	if idx == blockFree || idx == blockZero {
		clear(p)
		return nil
	}
	if err := imgfmt.ReadFull(r.r, p, int64(r.h.OffData)+int64(idx)*r.block+in); err != nil {
		return fmt.Errorf("vdi: read block %d: %w", blk, err)
	}
	return nil
}
