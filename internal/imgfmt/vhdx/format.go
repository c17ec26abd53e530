// Package vhdx writes and reads VHDX images ([MS-VHDX] v1): the file type
// identifier, two headers and two region tables (CRC-32C), an empty log, a
// metadata region with the five required system items, a block allocation
// table (BAT) and 1 MiB-aligned payload blocks.
//
// The writer streams the source once in disk order. A payload block is
// allocated at the end of the file when its first non-zero 64 KiB arrives;
// zero parts inside an allocated block stay holes, and blocks with no data
// are not allocated at all. Only the BAT (8 bytes per block) is in memory.
package vhdx

import (
	"encoding/binary"
	"encoding/hex"
	"hash/crc32"
	"strings"
)

const (
	kib = 1 << 10
	mib = 1 << 20

	headerSize  = 4 * kib
	header1Off  = 64 * kib
	header2Off  = 128 * kib
	regionSize  = 64 * kib
	region1Off  = 192 * kib
	region2Off  = 256 * kib
	logOff      = 1 * mib
	logLen      = 1 * mib // an empty log: a zero log GUID means nothing to replay
	metaOff     = 2 * mib
	metaLen     = 1 * mib
	batOff      = 3 * mib
	metaItemOff = 64 * kib // items follow the 64 KiB metadata table

	logicalSector  = 512
	physicalSector = 4096

	stateNotPresent   = 0
	stateZero         = 2
	stateUnmapped     = 3
	stateFullyPresent = 6

	metaIsVirtualDisk = 1 << 1
	metaIsRequired    = 1 << 2

	// maxVirtualSize is the format's limit (64 TiB).
	maxVirtualSize = 64 << 40
)

var (
	fileSignature   = []byte("vhdxfile")
	headerSignature = []byte("head")
	regionSignature = []byte("regi")
	metaSignature   = []byte("metadata")

	batGUID          = guid("2DC27766-F623-4200-9D64-115E9BFD4A08")
	metadataGUID     = guid("8B7CA206-4790-4B9A-B8FE-575F050F886E")
	fileParamsGUID   = guid("CAA16737-FA36-4D43-B3B6-33F0AA44E76B")
	diskSizeGUID     = guid("2FA54224-CD1B-4876-B211-5DBED83BF4B8")
	diskIDGUID       = guid("BECA12AB-B2E6-4523-93EF-C309E000C746") // "Page 83 Data"
	logicalSectGUID  = guid("8141BF1D-A96F-4709-BA47-F233A8FAAB5F")
	physicalSectGUID = guid("CDA348C7-445D-4471-9CC9-E9885251C556")

	castagnoli = crc32.MakeTable(crc32.Castagnoli)
)

// guid encodes a GUID string the Microsoft way: the first three fields
// little-endian, the last two as bytes. Only called on constants.
func guid(s string) [16]byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, "-", ""))
	if err != nil || len(b) != 16 {
		panic("vhdx: bad GUID constant " + s) // programming error, never input
	}
	var g [16]byte
	g[0], g[1], g[2], g[3] = b[3], b[2], b[1], b[0]
	g[4], g[5] = b[5], b[4]
	g[6], g[7] = b[7], b[6]
	copy(g[8:], b[8:])
	return g
}

// checksum stores the CRC-32C of b, computed with its checksum field (at 4)
// zeroed, into that field.
func checksum(b []byte) {
	clear(b[4:8])
	binary.LittleEndian.PutUint32(b[4:], crc32.Checksum(b, castagnoli))
}

// checksumOK verifies a structure sealed by checksum without modifying it.
func checksumOK(b []byte) bool {
	want := binary.LittleEndian.Uint32(b[4:])
	h := crc32.New(castagnoli)
	h.Write(b[:4])
	h.Write([]byte{0, 0, 0, 0})
	h.Write(b[8:])
	return h.Sum32() == want
}

// layout is what depends on the virtual size and block size.
type layout struct {
	size       int64 // virtual size
	blockSize  int64
	chunkRatio int64 // payload blocks per sector bitmap block
	dataBlocks int64
	batEntries int64
	batLen     int64 // BAT region length, MiB multiple
	dataStart  int64 // first payload block
}

func newLayout(size, blockSize int64) layout {
	l := layout{size: size, blockSize: blockSize}
	l.chunkRatio = (1 << 23) * logicalSector / blockSize
	l.dataBlocks = (size + blockSize - 1) / blockSize
	// Without a parent the table ends with the last payload block: sector
	// bitmap entries only sit after each full chunk.
	l.batEntries = l.dataBlocks + max(0, l.dataBlocks-1)/l.chunkRatio
	l.batLen = max(mib, (l.batEntries*8+mib-1)/mib*mib)
	l.dataStart = batOff + l.batLen
	return l
}

// batIndex is the BAT entry of payload block b: a sector bitmap entry follows
// every chunkRatio payload entries.
func (l layout) batIndex(b int64) int64 { return b + b/l.chunkRatio }
