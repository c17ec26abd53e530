// Package vhd writes and reads Microsoft VHD images (Virtual Hard Disk Image
// Format Specification, 2006): fixed disks (the raw disk followed by a
// 512-byte footer, what Azure accepts) and dynamic disks (a block allocation
// table over 2 MiB blocks, all-zero blocks left out).
//
// Both writers stream the source once in disk order and keep no more than the
// block allocation table (4 bytes per 2 MiB) in memory.
package vhd

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"time"
)

const (
	sector      = 512
	footerSize  = 512
	dynHdrSize  = 1024
	blockSize   = 2 << 20 // dynamic data block, the spec's default and what Hyper-V writes
	bitmapSize  = 512     // one bit per sector of a 2 MiB block, padded to a sector
	unallocated = 0xFFFFFFFF

	diskFixed   = 2
	diskDynamic = 3

	// maxDynamicSize is the spec's limit (2040 GiB), which qemu enforces too.
	maxDynamicSize = 2040 << 30
	// maxFixedSize: fixed disks have no table, so only the 64-bit size field
	// limits them; 64 TiB is far above any target (Azure's is 32 TiB).
	maxFixedSize = 64 << 40
	// maxCHSSectors is the largest geometry the spec's algorithm yields.
	maxCHSSectors = 65535 * 16 * 255
)

var (
	cookie    = [8]byte{'c', 'o', 'n', 'e', 'c', 't', 'i', 'x'}
	dynCookie = [8]byte{'c', 'x', 's', 'p', 'a', 'r', 's', 'e'}
	// creatorApp is read by qemu (and other tools following Virtual PC's
	// history) to choose between the CHS geometry and current_size as the disk
	// size: "vpc "/"qemu" mean CHS, which would truncate sizes that are not a
	// whole geometry. "qem2" is the value that means "trust current_size"
	// without claiming a Microsoft product.
	creatorApp = [4]byte{'q', 'e', 'm', '2'}
	creatorOS  = [4]byte{'W', 'i', '2', 'k'}
	vhdEpoch   = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
)

const (
	creatorVersion   = 0x00010000 // Kiln's writer version 1.0
	formatVersion    = 0x00010000
	featuresReserved = 2 // "must always be set"
)

// footer is the hard disk footer (big-endian, one sector).
type footer struct {
	DataOffset uint64 // offset of the dynamic header; all ones for fixed disks
	Timestamp  uint32
	OrigSize   uint64
	CurSize    uint64
	Cylinders  uint16
	Heads      uint8
	SPT        uint8
	DiskType   uint32
	UUID       [16]byte
}

func (f *footer) marshal() []byte {
	b := make([]byte, footerSize)
	be := binary.BigEndian
	copy(b[0:], cookie[:])
	be.PutUint32(b[8:], featuresReserved)
	be.PutUint32(b[12:], formatVersion)
	be.PutUint64(b[16:], f.DataOffset)
	be.PutUint32(b[24:], f.Timestamp)
	copy(b[28:], creatorApp[:])
	be.PutUint32(b[32:], creatorVersion)
	copy(b[36:], creatorOS[:])
	be.PutUint64(b[40:], f.OrigSize)
	be.PutUint64(b[48:], f.CurSize)
	be.PutUint16(b[56:], f.Cylinders)
	b[58], b[59] = f.Heads, f.SPT
	be.PutUint32(b[60:], f.DiskType)
	copy(b[68:], f.UUID[:])
	// b[84] saved state: 0.
	be.PutUint32(b[64:], checksum(b, 64))
	return b
}

func unmarshalFooter(b []byte) (footer, error) {
	be := binary.BigEndian
	if !bytes.Equal(b[:8], cookie[:]) {
		return footer{}, errors.New("no conectix cookie")
	}
	if be.Uint32(b[64:]) != checksum(b, 64) {
		return footer{}, errors.New("footer checksum mismatch")
	}
	f := footer{
		DataOffset: be.Uint64(b[16:]),
		Timestamp:  be.Uint32(b[24:]),
		OrigSize:   be.Uint64(b[40:]),
		CurSize:    be.Uint64(b[48:]),
		Cylinders:  be.Uint16(b[56:]),
		Heads:      b[58],
		SPT:        b[59],
		DiskType:   be.Uint32(b[60:]),
	}
	copy(f.UUID[:], b[68:84])
	return f, nil
}

// dynHeader is the dynamic disk header (big-endian, 1024 bytes). Parent fields
// stay zero: Kiln writes no differencing disks.
type dynHeader struct {
	TableOffset     uint64
	MaxTableEntries uint32
	BlockSize       uint32
}

func (h *dynHeader) marshal() []byte {
	b := make([]byte, dynHdrSize)
	be := binary.BigEndian
	copy(b[0:], dynCookie[:])
	be.PutUint64(b[8:], 0xFFFFFFFFFFFFFFFF) // data offset: unused
	be.PutUint64(b[16:], h.TableOffset)
	be.PutUint32(b[24:], formatVersion)
	be.PutUint32(b[28:], h.MaxTableEntries)
	be.PutUint32(b[32:], h.BlockSize)
	be.PutUint32(b[36:], checksum(b, 36))
	return b
}

func unmarshalDynHeader(b []byte) (dynHeader, error) {
	be := binary.BigEndian
	if !bytes.Equal(b[:8], dynCookie[:]) {
		return dynHeader{}, errors.New("no cxsparse cookie")
	}
	if be.Uint32(b[36:]) != checksum(b, 36) {
		return dynHeader{}, errors.New("dynamic header checksum mismatch")
	}
	return dynHeader{
		TableOffset:     be.Uint64(b[16:]),
		MaxTableEntries: be.Uint32(b[28:]),
		BlockSize:       be.Uint32(b[32:]),
	}, nil
}

// checksum is the one's complement of the byte sum of b, the 4-byte checksum
// field at at counted as zeros.
func checksum(b []byte, at int) uint32 {
	var sum uint32
	for i, c := range b {
		if i >= at && i < at+4 {
			continue
		}
		sum += uint32(c)
	}
	return ^sum
}

// geometry is the CHS geometry algorithm of the VHD specification (appendix
// "CHS Calculation"), capped at its maximum for large disks.
func geometry(size uint64) (cyl uint16, heads, spt uint8) {
	total := min(size/sector, maxCHSSectors)
	var h, s, cth uint64
	if total >= 65535*16*63 {
		s, h = 255, 16
		cth = total / s
	} else {
		s = 17
		cth = total / s
		h = max((cth+1023)/1024, 4)
		if cth >= h*1024 || h > 16 {
			s, h = 31, 16
			cth = total / s
		}
		if cth >= h*1024 {
			s, h = 63, 16
			cth = total / s
		}
	}
	return uint16(cth / h), uint8(h), uint8(s)
}

// newUUID is a random (version 4) UUID.
func newUUID() [16]byte {
	var u [16]byte
	_, _ = rand.Read(u[:]) // crypto/rand.Read never fails
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return u
}

// timestamp is now in the footer's unit: seconds since 2000-01-01 UTC.
func timestamp(now time.Time) uint32 {
	return uint32(max(0, now.Sub(vhdEpoch)/time.Second))
}
