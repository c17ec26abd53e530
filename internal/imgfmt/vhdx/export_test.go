package vhdx

import "encoding/binary"

// CompactSeed is a valid VHDX as small as the format allows (the headers and
// region tables sit at fixed offsets up to 320 KiB): the metadata table right
// after them, then a BAT whose first block points at MiB 0 of the file, so
// that the fuzzer reaches the fully-present path without a multi-MiB input.
func CompactSeed() []byte {
	const meta, bat = 320 * kib, 320*kib + metaItemOff + 64
	l := newLayout(3*mib+512, mib)
	out := make([]byte, bat+l.batEntries*8)
	copy(out, fileSignature)
	g := newGUID()
	for i, off := range []int64{header1Off, header2Off} {
		copy(out[off:], header(uint64(i+1), g, g))
	}
	rt := regionTable(l)
	binary.LittleEndian.PutUint64(rt[16+16:], bat)
	binary.LittleEndian.PutUint64(rt[16+32+16:], meta)
	checksum(rt)
	copy(out[region1Off:], rt)
	copy(out[region2Off:], rt)
	copy(out[meta:], metadata(l))
	binary.LittleEndian.PutUint64(out[bat:], stateFullyPresent)          // block 0 at MiB 0
	binary.LittleEndian.PutUint64(out[bat+16:], 1<<20|stateFullyPresent) // block 2 at MiB 1: past the end
	binary.LittleEndian.PutUint64(out[bat+24:], stateZero)               // block 3
	return out
}
