package vdi

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/kilnhq/kiln/internal/imgfmt"
)

// Converter writes dynamic VDI 1.1 images.
type Converter struct{}

var _ imgfmt.Converter = Converter{}

const bufSize = 256 << 10

// Convert writes the raw disk image src to dst as VDI.
func (c Converter) Convert(ctx context.Context, src, dst *os.File, opts imgfmt.Options) error {
	s, err := imgfmt.FileSource(src)
	if err != nil {
		return fmt.Errorf("vdi: %w", err)
	}
	return c.Write(ctx, s, dst, opts)
}

// VirtualSize is the disk size the image declares: whole sectors (qemu
// truncates other sizes).
func (Converter) VirtualSize(srcSize int64) int64 { return (srcSize + sector - 1) / sector * sector }

// Write streams src into dst (which must be empty): header at 0, block map at
// 1 MiB, then the non-zero 1 MiB blocks in disk order from the next MiB.
func (c Converter) Write(ctx context.Context, src imgfmt.Source, dst imgfmt.Destination, opts imgfmt.Options) error {
	if opts.Compress {
		return errors.New("vdi: the format has no compression")
	}
	if src.Size <= 0 {
		return errors.New("vdi: a zero-size disk cannot be written")
	}
	vsize := c.VirtualSize(src.Size)
	blocks := (vsize + blockSize - 1) / blockSize
	if blocks > maxBlocks {
		return fmt.Errorf("vdi: virtual size %d too large", vsize)
	}
	mapBytes := (blocks*4 + align - 1) / align * align
	h := header{
		HeaderSize: headerSize,
		Type:       typeNormal,
		OffBlocks:  align,
		OffData:    uint32(align + mapBytes),
		SectorSize: sector,
		DiskSize:   uint64(vsize),
		BlockSize:  blockSize,
		Blocks:     uint32(blocks),
		UUIDCreate: newUUID(),
		UUIDModify: newUUID(),
	}
	if int64(h.OffData) != align+mapBytes {
		return fmt.Errorf("vdi: block map of %d bytes does not fit 32-bit offsets", mapBytes)
	}
	bmap := make([]uint32, blocks)
	for i := range bmap {
		bmap[i] = blockFree
	}
	pos := int64(h.OffData)
	out := bufio.NewWriterSize(io.NewOffsetWriter(dst, pos), bufSize)
	var next uint32 // index of the next allocated block

	cr := imgfmt.NewChunkReader(src.R, src.Size, src.Extents, blockSize)
	total := cr.Total()
	var done int64
	p := &imgfmt.Pipeline{
		Reader:    cr,
		BlockSize: blockSize,
		ChunkSize: 2 * blockSize,
		Workers:   1, // zero detection is cheap; one worker overlaps it with I/O
		NewWorker: func() (func(*imgfmt.Batch) error, error) {
			return func(b *imgfmt.Batch) error { imgfmt.DetectZero(b, blockSize); return nil }, nil
		},
		Sink: func(b *imgfmt.Batch) error {
			for i, blk := range b.Blocks {
				if blk.Kind == imgfmt.BlockZero {
					continue
				}
				bmap[b.Off/blockSize+int64(i)] = next
				if _, err := out.Write(blk.Data); err != nil {
					return fmt.Errorf("write block %d: %w", next, err)
				}
				next++
			}
			done += b.Read
			opts.Report(done, total)
			return nil
		},
	}
	if err := p.Run(ctx); err != nil {
		return fmt.Errorf("vdi: %w", err)
	}
	if err := out.Flush(); err != nil {
		return fmt.Errorf("vdi: write blocks: %w", err)
	}
	if err := writeMap(dst, bmap, int64(h.OffBlocks), blocks*4); err != nil {
		return fmt.Errorf("vdi: %w", err)
	}
	h.BlocksAllocated = next
	if _, err := dst.WriteAt(h.marshal(), 0); err != nil {
		return fmt.Errorf("vdi: write header: %w", err)
	}
	if err := dst.Truncate(pos + int64(next)*blockSize); err != nil {
		return fmt.Errorf("vdi: set file size: %w", err)
	}
	return nil
}

// writeMap encodes the block map in 64 KiB pieces rather than duplicating it.
func writeMap(dst imgfmt.Destination, bmap []uint32, off, size int64) error {
	buf := make([]byte, 64<<10)
	for at := int64(0); at < size; at += int64(len(buf)) {
		n := min(int64(len(buf)), size-at)
		for i := int64(0); i < n; i += 4 {
			binary.LittleEndian.PutUint32(buf[i:], bmap[(at+i)/4])
		}
		if _, err := dst.WriteAt(buf[:n], off+at); err != nil {
			return fmt.Errorf("write block map: %w", err)
		}
	}
	return nil
}
