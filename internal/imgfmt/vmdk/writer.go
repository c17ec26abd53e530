package vmdk

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"

	"github.com/klauspost/compress/zlib"

	"github.com/kilnhq/kiln/internal/imgfmt"
)

// Subformat selects the kind of sparse extent.
type Subformat int

const (
	// MonolithicSparse: uncompressed grains, grain directory and tables at the
	// front. Opened directly by VMware Workstation/Fusion and qemu.
	MonolithicSparse Subformat = iota
	// StreamOptimized: zlib-compressed grains with markers, metadata at the
	// end. The format of disks in OVA/OVF packages.
	StreamOptimized
)

// Converter writes VMDK images.
type Converter struct {
	Subformat Subformat
	// AdapterType is ddb.adapterType: "lsilogic" (default), "ide", "buslogic"
	// or "legacyESX".
	AdapterType string
	// ExtentName is the file name recorded in the descriptor; default "disk.vmdk".
	ExtentName string
	// Level is the zlib level of streamOptimized grains; 0 means 6.
	Level int
}

var _ imgfmt.Converter = Converter{}

const (
	chunkSize  = 1 << 20
	zchunkSize = 1 << 20
	bufSize    = 256 << 10
)

// Convert writes the raw disk image src to dst as VMDK.
func (c Converter) Convert(ctx context.Context, src, dst *os.File, opts imgfmt.Options) error {
	s, err := imgfmt.FileSource(src)
	if err != nil {
		return fmt.Errorf("vmdk: %w", err)
	}
	return c.Write(ctx, s, dst, opts)
}

// Write streams src into dst (which must be empty) as a VMDK sparse extent.
func (c Converter) Write(ctx context.Context, src imgfmt.Source, dst imgfmt.Destination, opts imgfmt.Options) error {
	stream := c.Subformat == StreamOptimized
	if c.Subformat != MonolithicSparse && !stream {
		return fmt.Errorf("vmdk: unknown subformat %d", c.Subformat)
	}
	if opts.Compress && !stream {
		return errors.New("vmdk: monolithicSparse grains cannot be compressed; use StreamOptimized")
	}
	adapter, name := c.AdapterType, c.ExtentName
	if adapter == "" {
		adapter = "lsilogic"
	}
	if name == "" {
		name = "disk.vmdk"
	}
	level := c.Level
	if level == 0 {
		level = zlib.DefaultCompression
	}
	if src.Size <= 0 {
		// Readers (qemu included) take a sparse header of capacity 0 for a
		// pointer to a separate descriptor file, so such a disk cannot be opened.
		return errors.New("vmdk: a zero-size disk cannot be written")
	}
	capacity := uint64(src.Size+sector-1) / sector
	grains := (capacity + grainSectors - 1) / grainSectors
	numGTs := (grains + gtEntries - 1) / gtEntries
	if capacity > 1<<41 { // 1 PiB; keeps sector numbers far from overflow
		return fmt.Errorf("vmdk: virtual size %d too large", src.Size)
	}
	createType := "monolithicSparse"
	if stream {
		createType = "streamOptimized"
	}
	desc, err := descriptor(createType, adapter, name, capacity, rand.Uint32())
	if err != nil {
		return err
	}
	w := &writer{
		dst:    dst,
		stream: stream,
		gd:     make([]uint32, numGTs),
		gt:     make([]uint32, gtEntries),
		gtBuf:  make([]byte, gtSectors*sector),
		cur:    -1,
		h: header{
			Version:          1,
			Flags:            flagNewlineTest,
			Capacity:         capacity,
			GrainSize:        grainSectors,
			DescriptorOffset: descriptorOffset,
			DescriptorSize:   descriptorSectors,
			NumGTEsPerGT:     gtEntries,
		},
	}
	gdSectors := (numGTs*4 + sector - 1) / sector
	if stream {
		w.h.Version = 3
		w.h.Flags |= flagCompressed | flagMarkers
		w.h.CompressAlgorithm = compressDeflate
		w.h.GDOffset = gdAtEnd
		w.h.OverHead = grainSectors
	} else {
		// Grain directory, then every grain table, preallocated as qemu does;
		// tables are filled in as the data they map is written.
		w.h.GDOffset = descriptorOffset + descriptorSectors
		w.gtStart = w.h.GDOffset + gdSectors
		w.h.OverHead = (w.gtStart + numGTs*gtSectors + grainSectors - 1) / grainSectors * grainSectors
		for i := range w.gd {
			w.gd[i] = uint32(w.gtStart + uint64(i)*gtSectors)
		}
	}
	if w.h.OverHead+grains*grainSectors+numGTs*(gtSectors+1)+gdSectors+8 > maxFileSectors {
		return fmt.Errorf("vmdk: a %d-byte disk may not fit 32-bit sector numbers", src.Size)
	}
	w.pos = int64(w.h.OverHead) * sector
	w.out = bufio.NewWriterSize(io.NewOffsetWriter(dst, w.pos), bufSize)

	cr := imgfmt.NewChunkReader(src.R, src.Size, src.Extents, grainSize)
	total := cr.Total()
	var done int64
	p := &imgfmt.Pipeline{
		Reader:    cr,
		BlockSize: grainSize,
		ChunkSize: chunkSize,
		Workers:   opts.Workers,
		NewWorker: func() (func(*imgfmt.Batch) error, error) {
			return func(b *imgfmt.Batch) error { imgfmt.DetectZero(b, grainSize); return nil }, nil
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
	if stream {
		p.ChunkSize, p.OutSize = zchunkSize, zchunkSize+grainSize
		p.NewWorker = func() (func(*imgfmt.Batch) error, error) { return newGrainCompressor(level) }
	}
	if err := p.Run(ctx); err != nil {
		return fmt.Errorf("vmdk: %w", err)
	}
	if err := w.finish(desc); err != nil {
		return fmt.Errorf("vmdk: %w", err)
	}
	return nil
}

// writer holds the state of one conversion; grains and (streamOptimized)
// metadata are appended through out, pos is the file offset of the next byte.
type writer struct {
	dst     imgfmt.Destination
	stream  bool
	h       header
	out     *bufio.Writer
	pos     int64
	gd      []uint32
	gt      []uint32 // current grain table
	gtBuf   []byte   // its encoding, reused: per-table garbage would grow RSS with the disk
	cur     int64    // its index, -1 before the first
	gtDirty bool
	gtStart uint64 // monolithicSparse: sector of the first preallocated table
}

func (w *writer) batch(b *imgfmt.Batch) error {
	g0 := b.Off / grainSize
	for i, blk := range b.Blocks {
		if blk.Kind == imgfmt.BlockZero {
			continue
		}
		g := g0 + int64(i)
		if err := w.selectGT(g / gtEntries); err != nil {
			return err
		}
		w.gt[g%gtEntries] = uint32(w.pos / sector)
		w.gtDirty = true
		if err := w.write(blk.Data); err != nil {
			return err
		}
	}
	return nil
}

func (w *writer) selectGT(idx int64) error {
	if idx == w.cur {
		return nil
	}
	if err := w.flushGT(); err != nil {
		return err
	}
	clear(w.gt)
	w.cur = idx
	return nil
}

// flushGT writes the current grain table: in place for monolithicSparse,
// appended after a GT marker for streamOptimized.
func (w *writer) flushGT() error {
	if !w.gtDirty {
		return nil
	}
	w.gtDirty = false
	b := w.gtBuf
	for i, e := range w.gt {
		binary.LittleEndian.PutUint32(b[i*4:], e)
	}
	if !w.stream {
		off := int64(w.gd[w.cur]) * sector
		if _, err := w.dst.WriteAt(b, off); err != nil {
			return fmt.Errorf("write grain table %d: %w", w.cur, err)
		}
		return nil
	}
	if err := w.write(gtMarker[:]); err != nil {
		return err
	}
	w.gd[w.cur] = uint32(w.pos / sector)
	return w.write(b)
}

func (w *writer) write(b []byte) error {
	if (w.pos+int64(len(b)))/sector > maxFileSectors {
		return errors.New("file outgrows 32-bit sector numbers")
	}
	n, err := w.out.Write(b)
	w.pos += int64(n)
	if err != nil {
		return fmt.Errorf("write at %d: %w", w.pos, err)
	}
	return nil
}

func (w *writer) finish(desc []byte) error {
	if err := w.flushGT(); err != nil {
		return err
	}
	gd := make([]byte, (len(w.gd)*4+sector-1)/sector*sector)
	for i, e := range w.gd {
		binary.LittleEndian.PutUint32(gd[i*4:], e)
	}
	if w.stream {
		// GD marker and GD, footer marker and footer (the header with the real
		// GD offset), end-of-stream marker.
		if err := w.write(marker(uint64(len(gd)/sector), markerGD)); err != nil {
			return err
		}
		footer := w.h
		footer.GDOffset = uint64(w.pos / sector)
		if err := w.write(gd); err != nil {
			return err
		}
		if err := w.write(marker(1, markerFooter)); err != nil {
			return err
		}
		if err := w.write(footer.marshal()); err != nil {
			return err
		}
		if err := w.write(marker(0, markerEOS)); err != nil {
			return err
		}
	} else if _, err := w.dst.WriteAt(gd, int64(w.h.GDOffset)*sector); err != nil {
		return fmt.Errorf("write grain directory: %w", err)
	}
	if err := w.out.Flush(); err != nil {
		return fmt.Errorf("write grains: %w", err)
	}
	if _, err := w.dst.WriteAt(w.h.marshal(), 0); err != nil {
		return fmt.Errorf("write header: %w", err)
	}
	if _, err := w.dst.WriteAt(desc, descriptorOffset*sector); err != nil {
		return fmt.Errorf("write descriptor: %w", err)
	}
	end := max(w.pos, int64(w.h.OverHead)*sector)
	if err := w.dst.Truncate(end); err != nil {
		return fmt.Errorf("set file size: %w", err)
	}
	return nil
}
