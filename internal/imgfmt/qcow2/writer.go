package qcow2

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"os"

	"github.com/kilnhq/kiln/internal/imgfmt"
)

// Converter writes qcow2 v3 images. The zero value writes 64 KiB clusters.
type Converter struct {
	// ClusterBits selects the cluster size, 1<<ClusterBits (9 to 21); 0 means
	// DefaultClusterBits. Small clusters keep test and fuzz images tiny.
	ClusterBits uint
}

var _ imgfmt.Converter = Converter{}

// Convert writes the raw disk image src to dst as qcow2 with 64 KiB clusters.
func Convert(ctx context.Context, src, dst *os.File, opts imgfmt.Options) error {
	return Converter{}.Convert(ctx, src, dst, opts)
}

// Convert writes the raw disk image src to dst as qcow2.
func (c Converter) Convert(ctx context.Context, src, dst *os.File, opts imgfmt.Options) error {
	s, err := imgfmt.FileSource(src)
	if err != nil {
		return fmt.Errorf("qcow2: %w", err)
	}
	return c.Write(ctx, s, dst, opts)
}

const (
	chunkSize = 1 << 20   // bytes per pipeline batch (uncompressed): small enough to stay in cache between read and write
	zchunk    = 1 << 20   // per batch when compressing: keeps workers evenly fed
	bufSize   = 256 << 10 // output buffer; larger runs bypass it
)

// Write streams src into dst (which must be empty) as a qcow2 image.
func (c Converter) Write(ctx context.Context, src imgfmt.Source, dst imgfmt.Destination, opts imgfmt.Options) error {
	bits := c.ClusterBits
	if bits == 0 {
		bits = DefaultClusterBits
	}
	if bits < minClusterBits || bits > maxClusterBits {
		return fmt.Errorf("qcow2: cluster bits %d out of range [%d, %d]", bits, minClusterBits, maxClusterBits)
	}
	cs := 1 << bits
	cr := imgfmt.NewChunkReader(src.R, src.Size, src.Extents, cs)
	// qemu sees every disk as whole 512-byte sectors: it rounds the size of a
	// raw file up, and a qcow2 size down. Round up, as qemu-img convert does;
	// the tail reads as zeros.
	vsize := divUp(src.Size, 512) * 512
	l, err := newLayout(vsize, bits, cr.Total()/int64(cs)+1)
	if err != nil {
		return err
	}
	w := &writer{
		dst: dst,
		l:   &l,
		ref: newRefcounter(dst, &l),
		l1:  make([]uint64, l.l1Size),
		l2:  make([]byte, l.clusterSize),
		cur: -1,
		pos: l.dataOffset,
	}
	w.out = bufio.NewWriterSize(io.NewOffsetWriter(dst, l.dataOffset), bufSize)
	w.csizeShift, w.csizeMask = compressedLayout(bits)
	if err := w.ref.add(0, l.dataOffset); err != nil { // header, L1, refcount table and blocks
		return err
	}

	total := cr.Total()
	var done int64
	size := chunkSize
	if opts.Compress {
		size = zchunk
	}
	size = max(size, cs)
	outSize := 0
	if opts.Compress {
		outSize = size + cs // accepted clusters shrink; one rejected attempt may overshoot
	}
	p := &imgfmt.Pipeline{
		Reader:    cr,
		BlockSize: cs,
		ChunkSize: size,
		Workers:   opts.Workers,
		OutSize:   outSize,
		NewWorker: func() (func(*imgfmt.Batch) error, error) {
			if !opts.Compress {
				return func(b *imgfmt.Batch) error { imgfmt.DetectZero(b, cs); return nil }, nil
			}
			return newCompressor(cs)
		},
		Sink: func(b *imgfmt.Batch) error {
			if err := w.batch(b); err != nil {
				return err
			}
			done += b.Read
			opts.Report(done, total)
			return nil
		},
	}
	if err := p.Run(ctx); err != nil {
		return fmt.Errorf("qcow2: %w", err)
	}
	if err := w.finish(); err != nil {
		return fmt.Errorf("qcow2: %w", err)
	}
	return nil
}

// writer holds the state of one conversion. Everything after the fixed
// metadata is appended through out; pos is the file offset of the next byte.
type writer struct {
	dst        imgfmt.Destination
	l          *layout
	ref        *refcounter
	out        *bufio.Writer
	pos        int64
	l1         []uint64
	l2         []byte // current L2 table
	cur        int64  // its index in L1, -1 before the first
	l2Dirty    bool
	csizeShift uint
	csizeMask  uint64
}

// batch appends the blocks of one batch, in order.
func (w *writer) batch(b *imgfmt.Batch) error {
	cs := w.l.clusterSize
	v0 := b.Off / cs
	for i := 0; i < len(b.Blocks); {
		blk := b.Blocks[i]
		v := v0 + int64(i)
		if err := w.selectL2(v); err != nil {
			return err
		}
		switch blk.Kind {
		case imgfmt.BlockZero:
			i++
		case imgfmt.BlockRaw:
			// Coalesce a run of raw clusters that maps into the current L2 table,
			// so that large runs go to the file in one write, bypassing the buffer.
			j := i + 1
			for j < len(b.Blocks) && b.Blocks[j].Kind == imgfmt.BlockRaw && (v0+int64(j))%w.l.l2Entries != 0 {
				j++
			}
			if err := w.align(); err != nil {
				return err
			}
			start := w.pos
			for k := i; k < j; k++ {
				w.setL2(v0+int64(k), uint64(start+int64(k-i)*cs)|flagCopied)
			}
			if err := w.write(b.Data[int64(i)*cs : int64(j)*cs]); err != nil {
				return err
			}
			if err := w.ref.add(start, w.pos); err != nil {
				return err
			}
			i = j
		case imgfmt.BlockCompressed:
			if err := w.compressed(v, blk.Data); err != nil {
				return err
			}
			i++
		}
	}
	return nil
}

// compressed appends one compressed cluster. Compressed data is packed at byte
// granularity and may straddle host clusters; every host cluster it touches is
// referenced once more, as qemu counts them.
func (w *writer) compressed(v int64, data []byte) error {
	start := w.pos
	if uint64(start) >= 1<<w.csizeShift {
		return fmt.Errorf("compressed cluster offset %d does not fit the L2 entry", start)
	}
	end := start + int64(len(data))
	sectors := divUp(end, compressedSector) - start/compressedSector
	if uint64(sectors-1) > w.csizeMask {
		return fmt.Errorf("compressed cluster of %d bytes is too large", len(data))
	}
	w.setL2(v, flagCompressed|uint64(sectors-1)<<w.csizeShift|uint64(start))
	if err := w.write(data); err != nil {
		return err
	}
	// qemu's extent of a compressed cluster runs to the end of its last sector.
	return w.ref.add(start, start/compressedSector*compressedSector+sectors*compressedSector)
}

// selectL2 makes the L2 table covering virtual cluster v current, writing out
// the previous one.
func (w *writer) selectL2(v int64) error {
	idx := v / w.l.l2Entries
	if idx == w.cur {
		return nil
	}
	if err := w.flushL2(); err != nil {
		return err
	}
	clear(w.l2)
	w.cur = idx
	return nil
}

func (w *writer) setL2(v int64, entry uint64) {
	binary.BigEndian.PutUint64(w.l2[(v%w.l.l2Entries)*8:], entry)
	w.l2Dirty = true
}

// flushL2 appends the current L2 table (if it maps anything) and points L1 at it.
func (w *writer) flushL2() error {
	if !w.l2Dirty {
		return nil
	}
	if err := w.align(); err != nil {
		return err
	}
	off := w.pos
	if err := w.write(w.l2); err != nil {
		return err
	}
	if err := w.ref.add(off, w.pos); err != nil {
		return err
	}
	w.l1[w.cur] = uint64(off) | flagCopied
	w.l2Dirty = false
	return nil
}

func (w *writer) write(b []byte) error {
	if w.pos+int64(len(b)) > w.l.maxFileOffset {
		return fmt.Errorf("internal error: file grows past its computed bound %d", w.l.maxFileOffset)
	}
	n, err := w.out.Write(b)
	w.pos += int64(n)
	if err != nil {
		return fmt.Errorf("write at %d: %w", w.pos, err)
	}
	return nil
}

var zeros [1 << maxClusterBits]byte

// align pads the output to the next cluster boundary. Padding only follows
// compressed data, whose last cluster is already referenced.
func (w *writer) align() error {
	if r := w.pos % w.l.clusterSize; r != 0 {
		return w.write(zeros[:w.l.clusterSize-r])
	}
	return nil
}

// finish writes the last L2 table, then the metadata at the front.
func (w *writer) finish() error {
	if err := w.flushL2(); err != nil {
		return err
	}
	if err := w.align(); err != nil {
		return err
	}
	if err := w.out.Flush(); err != nil {
		return fmt.Errorf("write data: %w", err)
	}
	if err := w.ref.flush(); err != nil {
		return err
	}
	l := w.l
	l1 := make([]byte, l.l1Size*8)
	for i, e := range w.l1 {
		binary.BigEndian.PutUint64(l1[i*8:], e)
	}
	if _, err := w.dst.WriteAt(l1, l.l1Offset); err != nil {
		return fmt.Errorf("write L1 table: %w", err)
	}
	rt := make([]byte, l.rbClusters*8)
	for i := range l.rbClusters {
		binary.BigEndian.PutUint64(rt[i*8:], uint64(l.rbOffset+i*l.clusterSize))
	}
	if _, err := w.dst.WriteAt(rt, l.rtOffset); err != nil {
		return fmt.Errorf("write refcount table: %w", err)
	}
	h := header{
		Version:               3,
		ClusterBits:           uint32(l.clusterBits),
		Size:                  uint64(l.size),
		L1Size:                uint32(l.l1Size),
		L1TableOffset:         uint64(l.l1Offset),
		RefcountTableOffset:   uint64(l.rtOffset),
		RefcountTableClusters: uint32(l.rtClusters),
		RefcountOrder:         refcountOrder,
		HeaderLength:          headerV3Length,
	}
	if _, err := w.dst.WriteAt(h.marshal(), 0); err != nil {
		return fmt.Errorf("write header: %w", err)
	}
	// The file ends after the last appended cluster; the truncate also sizes
	// images whose data area is empty.
	if err := w.dst.Truncate(w.pos); err != nil {
		return fmt.Errorf("set file size: %w", err)
	}
	return nil
}
