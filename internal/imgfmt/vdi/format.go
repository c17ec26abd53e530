// Package vdi writes and reads VirtualBox VDI images, version 1.1, dynamic
// ("normal") type: a header, a block map of 32-bit block indexes and the
// allocated 1 MiB blocks in disk order. All-zero blocks are left out.
//
// The writer streams the source once and keeps only the block map (4 bytes
// per MiB of virtual disk) in memory.
package vdi

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
)

const (
	preHeaderText = "<<< Oracle VM VirtualBox Disk Image >>>\n"
	signature     = 0xbeda107f
	version11     = 0x00010001
	// headerSize is cbHeader of VDIHEADER1PLUS (the v1.1 header with the
	// LCHS geometry), what VirtualBox itself writes.
	headerSize = 400

	typeNormal = 1 // dynamically allocated

	sector    = 512
	blockSize = 1 << 20 // the only block size qemu accepts, and VirtualBox's default
	align     = 1 << 20 // block map and data start on MiB boundaries

	blockFree = 0xFFFFFFFF // unallocated: reads as zeros
	blockZero = 0xFFFFFFFE // allocated as zeros (VirtualBox's discard)

	// maxBlocks keeps the block map addressable by 32-bit indexes below the
	// two reserved values and the disk under qemu's limit.
	maxBlocks = 0x3fffffff
)

// header is the pre-header and the v1.1 header (little-endian, one sector).
type header struct {
	HeaderSize      uint32
	Type            uint32
	OffBlocks       uint32
	OffData         uint32
	SectorSize      uint32
	DiskSize        uint64
	BlockSize       uint32
	BlockExtra      uint32
	Blocks          uint32
	BlocksAllocated uint32
	UUIDCreate      [16]byte
	UUIDModify      [16]byte
	UUIDLinkage     [16]byte
	UUIDParent      [16]byte
}

func (h *header) marshal() []byte {
	b := make([]byte, sector)
	le := binary.LittleEndian
	copy(b, preHeaderText)
	le.PutUint32(b[64:], signature)
	le.PutUint32(b[68:], version11)
	le.PutUint32(b[72:], h.HeaderSize)
	le.PutUint32(b[76:], h.Type)
	// 80: flags 0; 84: comment, 256 bytes, empty.
	le.PutUint32(b[340:], h.OffBlocks)
	le.PutUint32(b[344:], h.OffData)
	// 348: legacy geometry cylinders, heads, sectors: 0 lets the VM choose.
	le.PutUint32(b[360:], h.SectorSize)
	le.PutUint64(b[368:], h.DiskSize)
	le.PutUint32(b[376:], h.BlockSize)
	le.PutUint32(b[380:], h.BlockExtra)
	le.PutUint32(b[384:], h.Blocks)
	le.PutUint32(b[388:], h.BlocksAllocated)
	copy(b[392:], h.UUIDCreate[:])
	copy(b[408:], h.UUIDModify[:])
	copy(b[424:], h.UUIDLinkage[:])
	copy(b[440:], h.UUIDParent[:])
	// 456: LCHS geometry, 0 cylinders/heads/sectors (unset) but a sector size.
	le.PutUint32(b[468:], h.SectorSize)
	return b
}

func unmarshalHeader(b []byte) (header, error) {
	le := binary.LittleEndian
	if le.Uint32(b[64:]) != signature {
		return header{}, errors.New("bad signature")
	}
	if v := le.Uint32(b[68:]); v != version11 {
		return header{}, fmt.Errorf("version %#x unsupported", v)
	}
	h := header{
		HeaderSize:      le.Uint32(b[72:]),
		Type:            le.Uint32(b[76:]),
		OffBlocks:       le.Uint32(b[340:]),
		OffData:         le.Uint32(b[344:]),
		SectorSize:      le.Uint32(b[360:]),
		DiskSize:        le.Uint64(b[368:]),
		BlockSize:       le.Uint32(b[376:]),
		BlockExtra:      le.Uint32(b[380:]),
		Blocks:          le.Uint32(b[384:]),
		BlocksAllocated: le.Uint32(b[388:]),
	}
	copy(h.UUIDCreate[:], b[392:])
	copy(h.UUIDModify[:], b[408:])
	copy(h.UUIDLinkage[:], b[424:])
	copy(h.UUIDParent[:], b[440:])
	return h, nil
}

// newUUID is a random (version 4) UUID.
func newUUID() [16]byte {
	var u [16]byte
	_, _ = rand.Read(u[:]) // crypto/rand.Read never fails
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return u
}
