// Package vmdk writes and reads VMDK sparse extents: monolithicSparse (the
// hosted-products format, uncompressed grains) and streamOptimized (compressed
// grains with markers, metadata at the end, the format inside OVA packages).
//
// Both writers stream: grains are appended in disk order, all-zero grains are
// skipped, and only one grain table is in memory at a time. streamOptimized
// compresses grains on all cores and writes them in order.
package vmdk

import (
	"encoding/binary"
	"fmt"
	"strings"
)

const (
	magic = 0x564d444b // "KDMV"

	sector       = 512
	grainSectors = 128 // 64 KiB grains
	grainSize    = grainSectors * sector
	gtEntries    = 512 // grain table entries: a table covers 32 MiB
	gtSectors    = gtEntries * 4 / sector

	flagNewlineTest = 1 << 0
	flagCompressed  = 1 << 16
	flagMarkers     = 1 << 17

	compressDeflate = 1

	gdAtEnd = 0xffffffffffffffff

	descriptorOffset  = 1  // sectors
	descriptorSectors = 20 // room reserved for the embedded descriptor, as qemu does

	markerEOS    = 0
	markerGT     = 1
	markerGD     = 2
	markerFooter = 3

	// Grain table entries are 32-bit sector numbers.
	maxFileSectors = 1<<32 - 1
)

// header is the sparse extent header (little-endian, one sector).
type header struct {
	Version           uint32
	Flags             uint32
	Capacity          uint64 // sectors
	GrainSize         uint64 // sectors
	DescriptorOffset  uint64
	DescriptorSize    uint64
	NumGTEsPerGT      uint32
	RGDOffset         uint64
	GDOffset          uint64
	OverHead          uint64
	UncleanShutdown   uint8
	CompressAlgorithm uint16
}

func (h *header) marshal() []byte {
	b := make([]byte, sector)
	le := binary.LittleEndian
	le.PutUint32(b[0:], magic)
	le.PutUint32(b[4:], h.Version)
	le.PutUint32(b[8:], h.Flags)
	le.PutUint64(b[12:], h.Capacity)
	le.PutUint64(b[20:], h.GrainSize)
	le.PutUint64(b[28:], h.DescriptorOffset)
	le.PutUint64(b[36:], h.DescriptorSize)
	le.PutUint32(b[44:], h.NumGTEsPerGT)
	le.PutUint64(b[48:], h.RGDOffset)
	le.PutUint64(b[56:], h.GDOffset)
	le.PutUint64(b[64:], h.OverHead)
	b[72] = h.UncleanShutdown
	// Characters that let readers detect newline mangling by FTP in text mode.
	b[73], b[74], b[75], b[76] = '\n', ' ', '\r', '\n'
	le.PutUint16(b[77:], h.CompressAlgorithm)
	return b
}

func unmarshalHeader(b []byte) header {
	le := binary.LittleEndian
	return header{
		Version:           le.Uint32(b[4:]),
		Flags:             le.Uint32(b[8:]),
		Capacity:          le.Uint64(b[12:]),
		GrainSize:         le.Uint64(b[20:]),
		DescriptorOffset:  le.Uint64(b[28:]),
		DescriptorSize:    le.Uint64(b[36:]),
		NumGTEsPerGT:      le.Uint32(b[44:]),
		RGDOffset:         le.Uint64(b[48:]),
		GDOffset:          le.Uint64(b[56:]),
		OverHead:          le.Uint64(b[64:]),
		UncleanShutdown:   b[72],
		CompressAlgorithm: le.Uint16(b[77:]),
	}
}

// gtMarker precedes every grain table of a streamOptimized extent.
var gtMarker = [sector]byte{0: gtSectors, 12: markerGT}

// marker is a streamOptimized metadata marker sector: val is the size in
// sectors of the metadata that follows.
func marker(val uint64, typ uint32) []byte {
	b := make([]byte, sector)
	binary.LittleEndian.PutUint64(b[0:], val)
	binary.LittleEndian.PutUint32(b[12:], typ)
	return b
}

// descriptor is the embedded text descriptor. The geometry is the usual
// 16 heads × 63 sectors translation; VMware products ignore it for SCSI.
func descriptor(createType, adapter, extentName string, capacity uint64, cid uint32) ([]byte, error) {
	cyl := min(capacity/(16*63), 16383)
	d := fmt.Sprintf(`# Disk DescriptorFile
version=1
CID=%08x
parentCID=ffffffff
createType="%s"

# Extent description
RW %d SPARSE "%s"

# The Disk Data Base
#DDB

ddb.virtualHWVersion = "4"
ddb.geometry.cylinders = "%d"
ddb.geometry.heads = "16"
ddb.geometry.sectors = "63"
ddb.adapterType = "%s"
ddb.toolsVersion = "2147483647"
`, cid, createType, capacity, extentName, cyl, adapter)
	if strings.ContainsAny(extentName, "\"\n") || strings.ContainsAny(adapter, "\"\n") {
		return nil, fmt.Errorf("vmdk: invalid extent name or adapter type")
	}
	if len(d) > descriptorSectors*sector {
		return nil, fmt.Errorf("vmdk: descriptor of %d bytes does not fit", len(d))
	}
	b := make([]byte, descriptorSectors*sector)
	copy(b, d)
	return b, nil
}
