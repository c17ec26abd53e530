package vhd

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/kilnhq/kiln/internal/imgfmt"
)

// Subformat selects the kind of VHD.
type Subformat int

const (
	// Fixed is the raw disk followed by a footer. Azure only accepts this one.
	// Zero blocks stay holes, so the file is as sparse as the source.
	Fixed Subformat = iota
	// Dynamic stores only the allocated 2 MiB blocks behind a block
	// allocation table, for hosts that copy files without preserving holes.
	Dynamic
)

// Converter writes VHD images.
type Converter struct {
	Subformat Subformat
	// AlignMiB rounds the virtual size up to a multiple of 1 MiB, which Azure
	// requires; the added tail reads as zeros (a hole in fixed disks).
	AlignMiB bool
}

var _ imgfmt.Converter = Converter{}

const (
	fixedBlock = 64 << 10 // zero-detection granularity of fixed disks
	chunkSize  = 1 << 20
	bufSize    = 256 << 10
)

// Convert writes the raw disk image src to dst as VHD.
func (c Converter) Convert(ctx context.Context, src, dst *os.File, opts imgfmt.Options) error {
	s, err := imgfmt.FileSource(src)
	if err != nil {
		return fmt.Errorf("vhd: %w", err)
	}
	return c.Write(ctx, s, dst, opts)
}

// VirtualSize is the disk size the image will declare for a source of the
// given size: whole sectors, and whole MiB with AlignMiB.
func (c Converter) VirtualSize(srcSize int64) int64 {
	unit := int64(sector)
	if c.AlignMiB {
		unit = 1 << 20
	}
	return (srcSize + unit - 1) / unit * unit
}

// Write streams src into dst (which must be empty) as a VHD.
func (c Converter) Write(ctx context.Context, src imgfmt.Source, dst imgfmt.Destination, opts imgfmt.Options) error {
	if opts.Compress {
		return errors.New("vhd: the format has no compression")
	}
	if src.Size < 0 {
		return fmt.Errorf("vhd: negative source size %d", src.Size)
	}
	if src.Size == 0 {
		// A zero-size fixed disk is a lone footer at offset 0, which readers
		// (qemu included) take for a dynamic disk's footer copy.
		return errors.New("vhd: a zero-size disk cannot be written")
	}
	vsize := c.VirtualSize(src.Size)
	cyl, heads, spt := geometry(uint64(vsize))
	ft := footer{
		DataOffset: 0xFFFFFFFFFFFFFFFF,
		Timestamp:  timestamp(time.Now()),
		OrigSize:   uint64(vsize),
		CurSize:    uint64(vsize),
		Cylinders:  cyl, Heads: heads, SPT: spt,
		UUID: newUUID(),
	}
	var err error
	switch c.Subformat {
	case Fixed:
		if vsize > maxFixedSize {
			return fmt.Errorf("vhd: virtual size %d above the %d-byte limit", vsize, int64(maxFixedSize))
		}
		ft.DiskType = diskFixed
		err = writeFixed(ctx, src, dst, vsize, ft, opts)
	case Dynamic:
		if vsize > maxDynamicSize {
			return fmt.Errorf("vhd: virtual size %d above the 2040 GiB limit of dynamic VHDs", vsize)
		}
		ft.DiskType = diskDynamic
		err = writeDynamic(ctx, src, dst, vsize, ft, opts)
	default:
		return fmt.Errorf("vhd: unknown subformat %d", c.Subformat)
	}
	if err != nil {
		return fmt.Errorf("vhd: %w", err)
	}
	return nil
}

// writeFixed copies the non-zero 64 KiB blocks in place and appends the footer.
func writeFixed(ctx context.Context, src imgfmt.Source, dst imgfmt.Destination, vsize int64, ft footer, opts imgfmt.Options) error {
	cr := imgfmt.NewChunkReader(src.R, src.Size, src.Extents, fixedBlock)
	total := cr.Total()
	var done int64
	p := &imgfmt.Pipeline{
		Reader:    cr,
		BlockSize: fixedBlock,
		ChunkSize: chunkSize,
		Workers:   1, // zero detection is cheap; one worker overlaps it with I/O
		NewWorker: func() (func(*imgfmt.Batch) error, error) {
			return func(b *imgfmt.Batch) error { imgfmt.DetectZero(b, fixedBlock); return nil }, nil
		},
		Sink: func(b *imgfmt.Batch) error {
			if err := imgfmt.WriteRuns(dst, b, fixedBlock, src.Size); err != nil {
				return err
			}
			done += b.Read
			opts.Report(done, total)
			return nil
		},
	}
	if err := p.Run(ctx); err != nil {
		return err
	}
	// Truncate first: the footer then lands after a hole, never after
	// whatever a previous, longer file held.
	if err := dst.Truncate(vsize + footerSize); err != nil {
		return fmt.Errorf("set file size: %w", err)
	}
	if _, err := dst.WriteAt(ft.marshal(), vsize); err != nil {
		return fmt.Errorf("write footer: %w", err)
	}
	return nil
}

// writeDynamic lays out: footer copy (0), dynamic header (512), BAT (1536),
// then the non-zero 2 MiB blocks in disk order, each a sector bitmap and the
// data, then the footer.
func writeDynamic(ctx context.Context, src imgfmt.Source, dst imgfmt.Destination, vsize int64, ft footer, opts imgfmt.Options) error {
	entries := (vsize + blockSize - 1) / blockSize
	const batOffset = footerSize + dynHdrSize
	batBytes := (entries*4 + sector - 1) / sector * sector
	// Start the first bitmap 512 bytes before a 4 KiB boundary so that every
	// block's data is 4 KiB aligned in the file (blocks are 2 MiB + 512).
	pos := (batOffset+batBytes+sector+4095)/4096*4096 - sector
	if pos/sector+entries*(blockSize+bitmapSize)/sector > unallocated-1 {
		return fmt.Errorf("a %d-byte disk may not fit 32-bit sector offsets", vsize)
	}
	ft.DataOffset = footerSize
	bat := make([]uint32, entries)
	for i := range bat {
		bat[i] = unallocated
	}
	bitmap := make([]byte, bitmapSize)
	for i := range bitmap {
		bitmap[i] = 0xff // every sector of a written block holds data
	}
	out := bufio.NewWriterSize(io.NewOffsetWriter(dst, pos), bufSize)

	cr := imgfmt.NewChunkReader(src.R, src.Size, src.Extents, blockSize)
	total := cr.Total()
	var done int64
	p := &imgfmt.Pipeline{
		Reader:    cr,
		BlockSize: blockSize,
		ChunkSize: blockSize,
		Workers:   1,
		NewWorker: func() (func(*imgfmt.Batch) error, error) {
			return func(b *imgfmt.Batch) error { imgfmt.DetectZero(b, blockSize); return nil }, nil
		},
		Sink: func(b *imgfmt.Batch) error {
			for i, blk := range b.Blocks {
				if blk.Kind == imgfmt.BlockZero {
					continue
				}
				bat[b.Off/blockSize+int64(i)] = uint32(pos / sector)
				if _, err := out.Write(bitmap); err != nil {
					return fmt.Errorf("write block bitmap at %d: %w", pos, err)
				}
				if _, err := out.Write(blk.Data); err != nil {
					return fmt.Errorf("write block at %d: %w", pos+bitmapSize, err)
				}
				pos += bitmapSize + blockSize
			}
			done += b.Read
			opts.Report(done, total)
			return nil
		},
	}
	if err := p.Run(ctx); err != nil {
		return err
	}
	fb := ft.marshal()
	if _, err := out.Write(fb); err != nil {
		return fmt.Errorf("write footer: %w", err)
	}
	if err := out.Flush(); err != nil {
		return fmt.Errorf("write blocks: %w", err)
	}
	if err := writeBAT(dst, bat, batOffset, batBytes); err != nil {
		return err
	}
	hdr := dynHeader{TableOffset: batOffset, MaxTableEntries: uint32(entries), BlockSize: blockSize}
	if _, err := dst.WriteAt(hdr.marshal(), footerSize); err != nil {
		return fmt.Errorf("write dynamic header: %w", err)
	}
	if _, err := dst.WriteAt(fb, 0); err != nil {
		return fmt.Errorf("write footer copy: %w", err)
	}
	if err := dst.Truncate(pos + footerSize); err != nil {
		return fmt.Errorf("set file size: %w", err)
	}
	return nil
}

// writeBAT encodes the table in 64 KiB pieces, so a 2 TB disk's 4 MiB table is
// not duplicated in memory; the padding to a sector is 0xFF as readers expect
// of unused entries.
func writeBAT(dst imgfmt.Destination, bat []uint32, off, size int64) error {
	buf := make([]byte, 64<<10)
	for at := int64(0); at < size; at += int64(len(buf)) {
		n := min(int64(len(buf)), size-at)
		for i := int64(0); i < n; i += 4 {
			e := uint32(unallocated)
			if k := (at + i) / 4; k < int64(len(bat)) {
				e = bat[k]
			}
			binary.BigEndian.PutUint32(buf[i:], e)
		}
		if _, err := dst.WriteAt(buf[:n], off+at); err != nil {
			return fmt.Errorf("write block allocation table: %w", err)
		}
	}
	return nil
}
