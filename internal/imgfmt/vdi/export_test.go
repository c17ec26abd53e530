package vdi

import "encoding/binary"

// SmallBlockSeed builds a VDI with 4 KiB blocks holding disk, the block map
// and data right after the header, block 1 unallocated and block 2 a zero
// block, so that the fuzzer starts from a few KiB, not megabytes.
func SmallBlockSeed(disk []byte) []byte {
	const bs = 4096
	size := uint64(len(disk)+sector-1) / sector * sector
	blocks := (size + bs - 1) / bs
	mapBytes := (blocks*4 + sector - 1) / sector * sector
	h := header{HeaderSize: headerSize, Type: typeNormal, OffBlocks: sector, OffData: uint32(sector + mapBytes),
		SectorSize: sector, DiskSize: size, BlockSize: bs, Blocks: uint32(blocks)}
	out := make([]byte, sector+mapBytes)
	var next uint32
	for i := uint64(0); i < blocks; i++ {
		e := uint32(blockFree)
		switch i {
		case 1:
		case 2:
			e = blockZero
		default:
			e = next
			next++
			blk := make([]byte, bs)
			copy(blk, disk[min(int(i*bs), len(disk)):])
			out = append(out, blk...)
		}
		binary.LittleEndian.PutUint32(out[sector+i*4:], e)
	}
	h.BlocksAllocated = next
	copy(out, h.marshal())
	return out
}
