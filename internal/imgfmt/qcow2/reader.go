package qcow2

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/flate"

	"github.com/kilnhq/kiln/internal/imgfmt"
)

// Reader reads the virtual disk of a qcow2 image. It is safe for concurrent use.
//
// Metadata is read on demand (one L1 and one L2 entry per cluster) rather than
// loaded up front, so a hostile header cannot make Open allocate much: memory is
// bounded by the cluster size (at most 2 MiB) per ReadAt call.
type Reader struct {
	r           io.ReaderAt
	h           header
	clusterBits uint
	clusterSize int64
	l2Entries   int64
	csizeShift  uint
	csizeMask   uint64
}

// Open parses and validates the header of a qcow2 image.
func Open(r io.ReaderAt) (*Reader, error) {
	buf := make([]byte, headerV3Length+1)
	n, err := r.ReadAt(buf, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("qcow2: read header: %w", err)
	}
	if n < headerV2Length || binary.BigEndian.Uint32(buf) != magic {
		return nil, errors.New("qcow2: not a qcow2 image")
	}
	h := unmarshalHeader(buf[:n])
	if err := validate(&h, n); err != nil {
		return nil, fmt.Errorf("qcow2: %w", err)
	}
	bits := uint(h.ClusterBits)
	rd := &Reader{
		r:           r,
		h:           h,
		clusterBits: bits,
		clusterSize: 1 << bits,
		l2Entries:   1 << (bits - 3),
	}
	rd.csizeShift, rd.csizeMask = compressedLayout(bits)
	return rd, nil
}

// validate rejects headers the reader cannot honour or that are inconsistent.
func validate(h *header, n int) error {
	switch h.Version {
	case 2:
	case 3:
		if n < headerV3Length || h.HeaderLength < headerV3Length {
			return fmt.Errorf("v3 header too short (%d bytes)", h.HeaderLength)
		}
		if h.HeaderLength <= headerV3Length {
			h.CompressionType = 0
		}
	default:
		return fmt.Errorf("unsupported version %d", h.Version)
	}
	if h.ClusterBits < minClusterBits || h.ClusterBits > maxClusterBits {
		return fmt.Errorf("cluster bits %d out of range", h.ClusterBits)
	}
	if h.CryptMethod != 0 {
		return errors.New("encrypted images are not supported")
	}
	if h.BackingFileOffset != 0 {
		return errors.New("images with a backing file are not supported")
	}
	known := uint64(incompatDirty | incompatCompressType)
	if unk := h.IncompatibleFeatures &^ known; unk != 0 {
		return fmt.Errorf("unsupported incompatible features %#x", unk)
	}
	if h.IncompatibleFeatures&incompatCompressType != 0 && h.CompressionType != 0 {
		return fmt.Errorf("unsupported compression type %d", h.CompressionType)
	}
	if h.Size > maxVirtualSize {
		return fmt.Errorf("virtual size %d too large", h.Size)
	}
	cs := uint64(1) << h.ClusterBits
	need := divUp(divUp(int64(h.Size), int64(cs)), int64(cs/8))
	if int64(h.L1Size) < need {
		return fmt.Errorf("L1 table of %d entries cannot map %d bytes", h.L1Size, h.Size)
	}
	if uint64(h.L1Size)*8 > maxL1Bytes {
		return fmt.Errorf("L1 table of %d entries too large", h.L1Size)
	}
	if h.L1TableOffset%cs != 0 || h.L1TableOffset > l1EntryOffsetMask {
		return fmt.Errorf("L1 table offset %#x invalid", h.L1TableOffset)
	}
	return nil
}

// Size is the virtual size of the disk.
func (r *Reader) Size() int64 { return int64(r.h.Size) }

// ClusterSize is the image's cluster size in bytes.
func (r *Reader) ClusterSize() int64 { return r.clusterSize }

// ReadAt reads the virtual disk. Unallocated and zero clusters read as zeros.
func (r *Reader) ReadAt(p []byte, off int64) (int, error) {
	return imgfmt.ReadBlocks(p, off, r.Size(), r.clusterSize, r.readCluster)
}

// readCluster fills p with bytes of virtual cluster v starting at offset in.
func (r *Reader) readCluster(p []byte, v, in int64) error {
	l1i := v / r.l2Entries
	l1e, err := r.entry(int64(r.h.L1TableOffset) + l1i*8)
	if err != nil {
		return fmt.Errorf("qcow2: read L1 entry %d: %w", l1i, err)
	}
	l2Off := int64(l1e & l1EntryOffsetMask)
	if l2Off == 0 {
		clear(p)
		return nil
	}
	if l2Off&(r.clusterSize-1) != 0 {
		return fmt.Errorf("qcow2: L2 table offset %#x not cluster-aligned", l2Off)
	}
	l2e, err := r.entry(l2Off + (v%r.l2Entries)*8)
	if err != nil {
		return fmt.Errorf("qcow2: read L2 entry of cluster %d: %w", v, err)
	}
	if l2e&flagCompressed != 0 {
		return r.readCompressed(p, l2e, in)
	}
	host := int64(l2e & l2EntryOffsetMask)
	if host == 0 || (r.h.Version >= 3 && l2e&flagZero != 0) {
		clear(p)
		return nil
	}
	if host&(r.clusterSize-1) != 0 {
		return fmt.Errorf("qcow2: data cluster offset %#x not cluster-aligned", host)
	}
	n, err := r.r.ReadAt(p, host+in)
	if err != nil && !(errors.Is(err, io.EOF) && n == len(p)) {
		return fmt.Errorf("qcow2: read data cluster at %#x: %w", host, err)
	}
	return nil
}

func (r *Reader) readCompressed(p []byte, l2e uint64, in int64) error {
	coff := int64(l2e & (1<<r.csizeShift - 1))
	sectors := int64((l2e>>r.csizeShift)&r.csizeMask) + 1
	csize := sectors*compressedSector - coff%compressedSector // at most 2 clusters
	buf := make([]byte, csize)
	n, err := r.r.ReadAt(buf, coff)
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("qcow2: read compressed cluster at %#x: %w", coff, err)
	}
	// The sector-rounded extent may run past the end of the file.
	zr := flate.NewReader(bytes.NewReader(buf[:n]))
	defer zr.Close()
	cluster := make([]byte, r.clusterSize)
	if _, err := io.ReadFull(zr, cluster); err != nil {
		return fmt.Errorf("qcow2: inflate cluster at %#x: %w", coff, err)
	}
	copy(p, cluster[in:])
	return nil
}

// entry reads one big-endian table entry.
func (r *Reader) entry(off int64) (uint64, error) {
	var b [8]byte
	n, err := r.r.ReadAt(b[:], off)
	if err != nil && !(errors.Is(err, io.EOF) && n == len(b)) {
		return 0, err
	}
	return binary.BigEndian.Uint64(b[:]), nil
}
