package disk

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"unicode/utf16"
)

const (
	sectorSize   = 512
	gptEntries   = 128
	gptEntrySize = 128
	// gptEntrySectors is the size of one partition entry array (16 KiB).
	gptEntrySectors = gptEntries * gptEntrySize / sectorSize
)

// writeGPT writes the protective MBR (without boot code), the primary GPT at
// LBA 1–33 and the backup GPT in the last 33 sectors. Only those sectors are
// written, so the image stays sparse. A small writer of our own: the format is
// 100 lines, and it keeps the mixed-endian GUIDs and CRCs under test.
func writeGPT(w io.WriterAt, l *Layout) error {
	if l.Size%sectorSize != 0 {
		return fmt.Errorf("write GPT: disk size %d is not a multiple of %d", l.Size, sectorSize)
	}
	lastLBA := uint64(l.Size/sectorSize) - 1
	firstUsable := uint64(2 + gptEntrySectors)
	lastUsable := lastLBA - 1 - gptEntrySectors

	entries := make([]byte, gptEntries*gptEntrySize)
	for i, p := range l.Partitions {
		if p.Number != i+1 {
			return fmt.Errorf("write GPT: partition %d has number %d", i+1, p.Number)
		}
		first := uint64(p.Offset / sectorSize)
		last := uint64((p.Offset+p.Size)/sectorSize) - 1
		if p.Offset%sectorSize != 0 || p.Size%sectorSize != 0 || first < firstUsable || last > lastUsable {
			return fmt.Errorf("write GPT: partition %d (%d+%d) is outside the usable area", p.Number, p.Offset, p.Size)
		}
		e := entries[i*gptEntrySize : (i+1)*gptEntrySize]
		t, u := p.Type.gptBytes(), p.PartUUID.gptBytes()
		copy(e[0:16], t[:])
		copy(e[16:32], u[:])
		binary.LittleEndian.PutUint64(e[32:], first)
		binary.LittleEndian.PutUint64(e[40:], last)
		name := utf16.Encode([]rune(p.Name))
		if len(name) > 36 {
			name = name[:36]
		}
		for j, c := range name {
			binary.LittleEndian.PutUint16(e[56+2*j:], c)
		}
	}
	entriesCRC := crc32.ChecksumIEEE(entries)

	header := func(my, alt, entriesLBA uint64) []byte {
		h := make([]byte, sectorSize)
		copy(h[0:8], "EFI PART")
		binary.LittleEndian.PutUint32(h[8:], 0x00010000)
		binary.LittleEndian.PutUint32(h[12:], 92)
		binary.LittleEndian.PutUint64(h[24:], my)
		binary.LittleEndian.PutUint64(h[32:], alt)
		binary.LittleEndian.PutUint64(h[40:], firstUsable)
		binary.LittleEndian.PutUint64(h[48:], lastUsable)
		g := l.DiskGUID.gptBytes()
		copy(h[56:72], g[:])
		binary.LittleEndian.PutUint64(h[72:], entriesLBA)
		binary.LittleEndian.PutUint32(h[80:], gptEntries)
		binary.LittleEndian.PutUint32(h[84:], gptEntrySize)
		binary.LittleEndian.PutUint32(h[88:], entriesCRC)
		binary.LittleEndian.PutUint32(h[16:], crc32.ChecksumIEEE(h[:92]))
		return h
	}

	writes := []struct {
		lba  uint64
		data []byte
	}{
		{0, protectiveMBR(lastLBA)},
		{1, header(1, lastLBA, 2)},
		{2, entries},
		{lastLBA - gptEntrySectors, entries},
		{lastLBA, header(lastLBA, 1, lastLBA-gptEntrySectors)},
	}
	for _, wr := range writes {
		if _, err := w.WriteAt(wr.data, int64(wr.lba)*sectorSize); err != nil {
			return fmt.Errorf("write GPT at LBA %d: %w", wr.lba, err)
		}
	}
	return nil
}

// protectiveMBR is the MBR of a GPT disk: one 0xEE partition covering the disk
// (capped at 2 TiB), no boot code (installBIOSBoot adds GRUB's later).
func protectiveMBR(lastLBA uint64) []byte {
	m := make([]byte, sectorSize)
	e := m[0x1be:]
	e[0] = 0x00                         // not active
	e[1], e[2], e[3] = 0x00, 0x02, 0x00 // CHS of LBA 1
	e[4] = 0xee
	e[5], e[6], e[7] = 0xff, 0xff, 0xff
	binary.LittleEndian.PutUint32(e[8:], 1)
	size := lastLBA
	if size > 0xffffffff {
		size = 0xffffffff
	}
	binary.LittleEndian.PutUint32(e[12:], uint32(size))
	m[510], m[511] = 0x55, 0xaa
	return m
}
