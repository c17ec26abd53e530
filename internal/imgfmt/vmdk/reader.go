package vmdk

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/zlib"

	"github.com/kilnhq/kiln/internal/imgfmt"
)

// Reader reads the virtual disk of a VMDK sparse extent (monolithicSparse or
// streamOptimized). It is safe for concurrent use. Directory and table entries
// are read on demand, so a hostile header cannot make Open allocate much.
type Reader struct {
	r          io.ReaderAt
	h          header
	size       int64 // virtual size in bytes
	grainBytes int64
	gdOffset   int64 // bytes
	compressed bool
	markers    bool
}

// maxGrainSectors bounds the grain size accepted from a header (1 MiB).
const maxGrainSectors = 2048

// Open parses the header of a VMDK sparse extent of the given file size. When
// the header defers the grain directory to the end (streamOptimized), the
// footer is read from the end of the file.
func Open(r io.ReaderAt, fileSize int64) (*Reader, error) {
	b := make([]byte, sector)
	if n, err := r.ReadAt(b, 0); n < 80 || (err != nil && !errors.Is(err, io.EOF)) {
		return nil, errors.New("vmdk: file too short for a sparse extent header")
	}
	if binary.LittleEndian.Uint32(b) != magic {
		return nil, errors.New("vmdk: not a sparse extent (bad magic)")
	}
	h := unmarshalHeader(b)
	if h.GDOffset == gdAtEnd {
		if fileSize < 3*sector {
			return nil, errors.New("vmdk: file too short for a footer")
		}
		if _, err := r.ReadAt(b, fileSize-2*sector); err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("vmdk: read footer: %w", err)
		}
		if binary.LittleEndian.Uint32(b) != magic {
			return nil, errors.New("vmdk: footer has a bad magic")
		}
		h = unmarshalHeader(b)
	}
	if h.Version < 1 || h.Version > 3 {
		return nil, fmt.Errorf("vmdk: unsupported version %d", h.Version)
	}
	if h.GrainSize == 0 || h.GrainSize > maxGrainSectors || h.GrainSize&(h.GrainSize-1) != 0 {
		return nil, fmt.Errorf("vmdk: grain size of %d sectors unsupported", h.GrainSize)
	}
	if h.NumGTEsPerGT == 0 || h.NumGTEsPerGT > 1<<16 {
		return nil, fmt.Errorf("vmdk: %d grain table entries per table unsupported", h.NumGTEsPerGT)
	}
	if h.Capacity > 1<<41 {
		return nil, fmt.Errorf("vmdk: capacity of %d sectors too large", h.Capacity)
	}
	if h.GDOffset == gdAtEnd || h.GDOffset > 1<<41 {
		return nil, fmt.Errorf("vmdk: grain directory offset %#x invalid", h.GDOffset)
	}
	compressed := h.Flags&flagCompressed != 0
	if compressed && h.CompressAlgorithm != compressDeflate {
		return nil, fmt.Errorf("vmdk: compression algorithm %d unsupported", h.CompressAlgorithm)
	}
	return &Reader{
		r:          r,
		h:          h,
		size:       int64(h.Capacity) * sector,
		grainBytes: int64(h.GrainSize) * sector,
		gdOffset:   int64(h.GDOffset) * sector,
		compressed: compressed,
		markers:    h.Flags&flagMarkers != 0,
	}, nil
}

// Size is the virtual size of the disk.
func (r *Reader) Size() int64 { return r.size }

// ReadAt reads the virtual disk; unallocated grains read as zeros.
func (r *Reader) ReadAt(p []byte, off int64) (int, error) {
	return imgfmt.ReadBlocks(p, off, r.size, r.grainBytes, r.readGrain)
}

func (r *Reader) readGrain(p []byte, g, in int64) error {
	per := int64(r.h.NumGTEsPerGT)
	gte, err := r.entry(r.gdOffset + g/per*4)
	if err != nil {
		return fmt.Errorf("vmdk: read grain directory: %w", err)
	}
	if gte == 0 {
		clear(p)
		return nil
	}
	ge, err := r.entry(int64(gte)*sector + g%per*4)
	if err != nil {
		return fmt.Errorf("vmdk: read grain table: %w", err)
	}
	if ge <= 1 { // 0: unallocated; 1: zeroed grain (allocated as zeros)
		clear(p)
		return nil
	}
	at := int64(ge) * sector
	if !r.compressed {
		n, err := r.r.ReadAt(p, at+in)
		if err != nil && !(errors.Is(err, io.EOF) && n == len(p)) {
			return fmt.Errorf("vmdk: read grain %d: %w", g, err)
		}
		return nil
	}
	var size int64
	if r.markers {
		var m [12]byte
		if _, err := r.r.ReadAt(m[:], at); err != nil {
			return fmt.Errorf("vmdk: read grain marker %d: %w", g, err)
		}
		size = int64(binary.LittleEndian.Uint32(m[8:]))
		at += 12
	} else {
		size = 2 * r.grainBytes
	}
	if size == 0 || size > 2*r.grainBytes {
		return fmt.Errorf("vmdk: compressed grain %d of %d bytes", g, size)
	}
	buf := make([]byte, size)
	n, err := r.r.ReadAt(buf, at)
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("vmdk: read grain %d: %w", g, err)
	}
	zr, err := zlib.NewReader(bytes.NewReader(buf[:n]))
	if err != nil {
		return fmt.Errorf("vmdk: grain %d: %w", g, err)
	}
	defer zr.Close()
	grain := make([]byte, r.grainBytes)
	if _, err := io.ReadFull(zr, grain); err != nil {
		return fmt.Errorf("vmdk: inflate grain %d: %w", g, err)
	}
	copy(p, grain[in:])
	return nil
}

func (r *Reader) entry(off int64) (uint32, error) {
	var b [4]byte
	n, err := r.r.ReadAt(b[:], off)
	if err != nil && !(errors.Is(err, io.EOF) && n == len(b)) {
		return 0, err
	}
	return binary.LittleEndian.Uint32(b[:]), nil
}
