package vhd

import "encoding/binary"

// SmallBlockSeed builds a dynamic VHD with 4 KiB blocks holding disk (the
// spec allows any power-of-two block size; our writer always uses 2 MiB),
// so that the fuzzer starts from an image with allocated blocks that is a
// few KiB, not megabytes. Block 1 is left unallocated.
func SmallBlockSeed(disk []byte) []byte {
	const bs = 4096
	size := uint64(len(disk)+sector-1) / sector * sector
	entries := (size + bs - 1) / bs
	cyl, h, s := geometry(size)
	ft := footer{DataOffset: footerSize, OrigSize: size, CurSize: size, Cylinders: cyl, Heads: h, SPT: s, DiskType: diskDynamic}
	hdr := dynHeader{TableOffset: footerSize + dynHdrSize, MaxTableEntries: uint32(entries), BlockSize: bs}
	out := append(ft.marshal(), hdr.marshal()...)
	bat := make([]byte, (entries*4+sector-1)/sector*sector)
	for i := range bat {
		bat[i] = 0xff
	}
	batAt := len(out)
	out = append(out, bat...)
	for i := uint64(0); i < entries; i++ {
		if i == 1 {
			continue
		}
		binary.BigEndian.PutUint32(out[batAt+int(i)*4:], uint32(len(out)/sector))
		out = append(out, make([]byte, sector)...) // bitmap
		blk := make([]byte, bs)
		copy(blk, disk[min(int(i*bs), len(disk)):])
		out = append(out, blk...)
	}
	return append(out, ft.marshal()...)
}
