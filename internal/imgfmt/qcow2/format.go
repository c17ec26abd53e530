// Package qcow2 writes and reads qcow2 images (version 3, "compat 1.1").
//
// The writer streams a raw disk into a qcow2 file in one pass: data clusters in
// disk order (all-zero clusters left unallocated), each L2 table right after the
// data it maps, and the header, L1 table and refcounts written at places
// reserved up front. Only one L2 table and one refcount block are in memory at
// a time, so memory does not grow with the disk. Compressed clusters are raw
// deflate streams with a 4 KiB window, the format qemu reads.
//
// The reader exists for tests and fuzzing; it reads the active layer of images
// without backing files, encryption or external data files.
package qcow2

import (
	"encoding/binary"
)

const (
	magic = 0x514649fb // "QFI\xfb"

	// DefaultClusterBits gives 64 KiB clusters, qemu's default.
	DefaultClusterBits = 16
	minClusterBits     = 9
	maxClusterBits     = 21

	headerV3Length = 104
	headerV2Length = 72

	refcountOrder = 4 // 16-bit refcounts, qemu's default

	l1EntryOffsetMask = 0x00fffffffffffe00
	l2EntryOffsetMask = 0x00fffffffffffe00
	flagCopied        = 1 << 63 // refcount is exactly 1
	flagCompressed    = 1 << 62
	flagZero          = 1 // v3: cluster reads as zeros

	compressedSector = 512

	// Incompatible feature bits (v3).
	incompatDirty        = 1 << 0
	incompatCorrupt      = 1 << 1
	incompatExternalData = 1 << 2
	incompatCompressType = 1 << 3
	incompatExtendedL2   = 1 << 4

	// maxL1Bytes mirrors qemu's QCOW_MAX_L1_SIZE: larger L1 tables are refused.
	maxL1Bytes = 32 << 20
)

// header is the fixed part of a qcow2 header; fields in file order.
type header struct {
	Version               uint32
	BackingFileOffset     uint64
	BackingFileSize       uint32
	ClusterBits           uint32
	Size                  uint64
	CryptMethod           uint32
	L1Size                uint32
	L1TableOffset         uint64
	RefcountTableOffset   uint64
	RefcountTableClusters uint32
	NbSnapshots           uint32
	SnapshotsOffset       uint64
	IncompatibleFeatures  uint64
	CompatibleFeatures    uint64
	AutoclearFeatures     uint64
	RefcountOrder         uint32
	HeaderLength          uint32
	CompressionType       uint8 // only meaningful when HeaderLength > 104
}

func (h *header) marshal() []byte {
	b := make([]byte, headerV3Length)
	be := binary.BigEndian
	be.PutUint32(b[0:], magic)
	be.PutUint32(b[4:], h.Version)
	be.PutUint64(b[8:], h.BackingFileOffset)
	be.PutUint32(b[16:], h.BackingFileSize)
	be.PutUint32(b[20:], h.ClusterBits)
	be.PutUint64(b[24:], h.Size)
	be.PutUint32(b[32:], h.CryptMethod)
	be.PutUint32(b[36:], h.L1Size)
	be.PutUint64(b[40:], h.L1TableOffset)
	be.PutUint64(b[48:], h.RefcountTableOffset)
	be.PutUint32(b[56:], h.RefcountTableClusters)
	be.PutUint32(b[60:], h.NbSnapshots)
	be.PutUint64(b[64:], h.SnapshotsOffset)
	be.PutUint64(b[72:], h.IncompatibleFeatures)
	be.PutUint64(b[80:], h.CompatibleFeatures)
	be.PutUint64(b[88:], h.AutoclearFeatures)
	be.PutUint32(b[96:], h.RefcountOrder)
	be.PutUint32(b[100:], h.HeaderLength)
	// The header extensions that follow start with the end marker (type 0,
	// length 0): the rest of the cluster is zero, which is exactly that.
	return b
}

// unmarshalHeader decodes b (at least headerV2Length bytes; headerV3Length for v3).
func unmarshalHeader(b []byte) header {
	be := binary.BigEndian
	h := header{
		Version:               be.Uint32(b[4:]),
		BackingFileOffset:     be.Uint64(b[8:]),
		BackingFileSize:       be.Uint32(b[16:]),
		ClusterBits:           be.Uint32(b[20:]),
		Size:                  be.Uint64(b[24:]),
		CryptMethod:           be.Uint32(b[32:]),
		L1Size:                be.Uint32(b[36:]),
		L1TableOffset:         be.Uint64(b[40:]),
		RefcountTableOffset:   be.Uint64(b[48:]),
		RefcountTableClusters: be.Uint32(b[56:]),
		NbSnapshots:           be.Uint32(b[60:]),
		SnapshotsOffset:       be.Uint64(b[64:]),
		RefcountOrder:         refcountOrder,
		HeaderLength:          headerV2Length,
	}
	if h.Version >= 3 && len(b) >= headerV3Length {
		h.IncompatibleFeatures = be.Uint64(b[72:])
		h.CompatibleFeatures = be.Uint64(b[80:])
		h.AutoclearFeatures = be.Uint64(b[88:])
		h.RefcountOrder = be.Uint32(b[96:])
		h.HeaderLength = be.Uint32(b[100:])
		if len(b) > headerV3Length {
			h.CompressionType = b[headerV3Length]
		}
	}
	return h
}

// compressedLayout gives the bit layout of compressed L2 entries for a cluster
// size: the host offset occupies the low csizeShift bits, then the number of
// additional 512-byte sectors, masked by csizeMask.
func compressedLayout(clusterBits uint) (csizeShift uint, csizeMask uint64) {
	csizeShift = 62 - (clusterBits - 8)
	csizeMask = (1 << (clusterBits - 8)) - 1
	return csizeShift, csizeMask
}
