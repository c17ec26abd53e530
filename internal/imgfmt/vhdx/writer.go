package vhdx

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"unicode/utf16"

	"github.com/kilnhq/kiln/internal/imgfmt"
)

// Converter writes VHDX images.
type Converter struct {
	// BlockSizeMiB is the payload block size: a power of two from 1 to 256;
	// 0 means 32, Hyper-V's default. Smaller blocks store fewer zeros around
	// scattered data; the zero parts of allocated blocks are holes anyway.
	BlockSizeMiB int
}

var _ imgfmt.Converter = Converter{}

const (
	detectBlock = 64 << 10 // zero-detection granularity
	chunkSize   = 1 << 20
	creator     = "Kiln"
)

// Convert writes the raw disk image src to dst as VHDX.
func (c Converter) Convert(ctx context.Context, src, dst *os.File, opts imgfmt.Options) error {
	s, err := imgfmt.FileSource(src)
	if err != nil {
		return fmt.Errorf("vhdx: %w", err)
	}
	return c.Write(ctx, s, dst, opts)
}

// VirtualSize is the disk size the image declares: whole logical sectors.
func (Converter) VirtualSize(srcSize int64) int64 {
	return (srcSize + logicalSector - 1) / logicalSector * logicalSector
}

// Write streams src into dst (which must be empty) as a VHDX.
func (c Converter) Write(ctx context.Context, src imgfmt.Source, dst imgfmt.Destination, opts imgfmt.Options) error {
	if opts.Compress {
		return errors.New("vhdx: the format has no compression")
	}
	bsMiB := c.BlockSizeMiB
	if bsMiB == 0 {
		bsMiB = 32
	}
	if bsMiB < 1 || bsMiB > 256 || bsMiB&(bsMiB-1) != 0 {
		return fmt.Errorf("vhdx: block size of %d MiB is not a power of two from 1 to 256", bsMiB)
	}
	if src.Size <= 0 {
		return errors.New("vhdx: a zero-size disk cannot be written")
	}
	vsize := c.VirtualSize(src.Size)
	if vsize > maxVirtualSize {
		return fmt.Errorf("vhdx: virtual size %d above the 64 TiB limit", vsize)
	}
	l := newLayout(vsize, int64(bsMiB)*mib)
	bat := make([]uint64, l.batEntries) // all NOT_PRESENT (0)
	pos := l.dataStart                  // next payload block

	cr := imgfmt.NewChunkReader(src.R, src.Size, src.Extents, detectBlock)
	total := cr.Total()
	var done int64
	p := &imgfmt.Pipeline{
		Reader:    cr,
		BlockSize: detectBlock,
		ChunkSize: chunkSize,
		Workers:   1, // zero detection is cheap; one worker overlaps it with I/O
		NewWorker: func() (func(*imgfmt.Batch) error, error) {
			return func(b *imgfmt.Batch) error { imgfmt.DetectZero(b, detectBlock); return nil }, nil
		},
		Sink: func(b *imgfmt.Batch) error {
			if err := writeBatch(dst, b, l, bat, &pos); err != nil {
				return err
			}
			done += b.Read
			opts.Report(done, total)
			return nil
		},
	}
	if err := p.Run(ctx); err != nil {
		return fmt.Errorf("vhdx: %w", err)
	}
	if err := writeMetadata(dst, l, bat); err != nil {
		return fmt.Errorf("vhdx: %w", err)
	}
	// Every allocated block lies wholly inside the file, as readers check.
	if err := dst.Truncate(pos); err != nil {
		return fmt.Errorf("vhdx: set file size: %w", err)
	}
	return nil
}

// writeBatch writes each run of non-zero 64 KiB blocks that falls in one
// payload block with one call, allocating payload blocks on first use.
func writeBatch(dst imgfmt.Destination, b *imgfmt.Batch, l layout, bat []uint64, pos *int64) error {
	for i := 0; i < len(b.Blocks); {
		if b.Blocks[i].Kind == imgfmt.BlockZero {
			i++
			continue
		}
		start := b.Off + int64(i)*detectBlock
		pb := start / l.blockSize
		j := i + 1
		for j < len(b.Blocks) && b.Blocks[j].Kind != imgfmt.BlockZero && (b.Off+int64(j)*detectBlock)/l.blockSize == pb {
			j++
		}
		end := min(b.Off+int64(j)*detectBlock, l.size)
		e := &bat[l.batIndex(pb)]
		if *e == 0 {
			*e = uint64(*pos/mib)<<20 | stateFullyPresent
			*pos += l.blockSize
		}
		at := int64(*e>>20)*mib + start%l.blockSize
		if _, err := dst.WriteAt(b.Data[i*detectBlock:int(end-b.Off)], at); err != nil {
			return fmt.Errorf("write payload at %d: %w", at, err)
		}
		i = j
	}
	return nil
}

// writeMetadata writes everything but the payload: BAT, metadata region,
// region tables, headers and, last, the file identifier, so that a crash
// leaves a file no reader takes for a VHDX.
func writeMetadata(dst imgfmt.Destination, l layout, bat []uint64) error {
	buf := make([]byte, 64*kib)
	for at := int64(0); at < int64(len(bat))*8; at += int64(len(buf)) {
		n := min(int64(len(buf)), int64(len(bat))*8-at)
		for i := int64(0); i < n; i += 8 {
			binary.LittleEndian.PutUint64(buf[i:], bat[(at+i)/8])
		}
		if _, err := dst.WriteAt(buf[:n], batOff+at); err != nil {
			return fmt.Errorf("write BAT: %w", err)
		}
	}
	if _, err := dst.WriteAt(metadata(l), metaOff); err != nil {
		return fmt.Errorf("write metadata: %w", err)
	}
	rt := regionTable(l)
	for _, off := range []int64{region1Off, region2Off} {
		if _, err := dst.WriteAt(rt, off); err != nil {
			return fmt.Errorf("write region table: %w", err)
		}
	}
	fileWrite, dataWrite := newGUID(), newGUID()
	for i, off := range []int64{header1Off, header2Off} {
		if _, err := dst.WriteAt(header(uint64(i+1), fileWrite, dataWrite), off); err != nil {
			return fmt.Errorf("write header %d: %w", i+1, err)
		}
	}
	id := make([]byte, 64*kib)
	copy(id, fileSignature)
	for i, u := range utf16.Encode([]rune(creator)) {
		binary.LittleEndian.PutUint16(id[8+2*i:], u)
	}
	if _, err := dst.WriteAt(id, 0); err != nil {
		return fmt.Errorf("write file identifier: %w", err)
	}
	return nil
}

// header is one of the two identical headers; readers use the one with the
// higher sequence number.
func header(seq uint64, fileWrite, dataWrite [16]byte) []byte {
	b := make([]byte, headerSize)
	le := binary.LittleEndian
	copy(b, headerSignature)
	le.PutUint64(b[8:], seq)
	copy(b[16:], fileWrite[:])
	copy(b[32:], dataWrite[:])
	// 48: log GUID, zero: the log holds nothing to replay.
	le.PutUint16(b[64:], 0) // log version
	le.PutUint16(b[66:], 1) // version
	le.PutUint32(b[68:], logLen)
	le.PutUint64(b[72:], logOff)
	checksum(b)
	return b
}

func regionTable(l layout) []byte {
	b := make([]byte, regionSize)
	le := binary.LittleEndian
	copy(b, regionSignature)
	le.PutUint32(b[8:], 2)
	for i, r := range []struct {
		id       [16]byte
		off, len int64
	}{{batGUID, batOff, l.batLen}, {metadataGUID, metaOff, metaLen}} {
		e := b[16+32*i:]
		copy(e, r.id[:])
		le.PutUint64(e[16:], uint64(r.off))
		le.PutUint32(e[24:], uint32(r.len))
		le.PutUint32(e[28:], 1) // required
	}
	checksum(b)
	return b
}

// metadata is the metadata table (64 KiB) and the five system items after it.
func metadata(l layout) []byte {
	b := make([]byte, metaItemOff+64)
	le := binary.LittleEndian
	copy(b, metaSignature)
	diskID := newGUID()
	items := []struct {
		id    [16]byte
		flags uint32
		data  []byte
	}{
		{fileParamsGUID, metaIsRequired, le.AppendUint32(le.AppendUint32(nil, uint32(l.blockSize)), 0)}, // no LeaveBlocksAllocated, no parent
		{diskSizeGUID, metaIsVirtualDisk | metaIsRequired, le.AppendUint64(nil, uint64(l.size))},
		{diskIDGUID, metaIsVirtualDisk | metaIsRequired, diskID[:]},
		{logicalSectGUID, metaIsVirtualDisk | metaIsRequired, le.AppendUint32(nil, logicalSector)},
		{physicalSectGUID, metaIsVirtualDisk | metaIsRequired, le.AppendUint32(nil, physicalSector)},
	}
	le.PutUint16(b[10:], uint16(len(items)))
	off := metaItemOff
	for i, it := range items {
		e := b[32+32*i:]
		copy(e, it.id[:])
		le.PutUint32(e[16:], uint32(off))
		le.PutUint32(e[20:], uint32(len(it.data)))
		le.PutUint32(e[24:], it.flags)
		copy(b[off:], it.data)
		off += len(it.data)
	}
	return b
}

// newGUID is a random (version 4) GUID in on-disk byte order.
func newGUID() [16]byte {
	var u [16]byte
	_, _ = rand.Read(u[:])  // crypto/rand.Read never fails
	u[7] = u[7]&0x0f | 0x40 // version nibble: the high byte of the little-endian third field
	u[8] = u[8]&0x3f | 0x80
	return u
}
