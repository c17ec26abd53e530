package vhdx

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/kilnhq/kiln/internal/imgfmt"
)

// Reader reads the virtual disk of a VHDX without a parent. It is safe for
// concurrent use. BAT entries are read on demand, so a hostile header cannot
// make Open or ReadAt allocate in proportion to its claims. Images whose log
// needs replaying are refused rather than read stale.
type Reader struct {
	r      io.ReaderAt
	l      layout
	bat    int64 // offset of the BAT region
	batLen int64
}

// Open parses the headers, region table and metadata of a VHDX of the given
// file size.
func Open(r io.ReaderAt, fileSize int64) (*Reader, error) {
	b := make([]byte, regionSize)
	if err := imgfmt.ReadFull(r, b[:8], 0); err != nil || !bytes.Equal(b[:8], fileSignature) {
		return nil, errors.New("vhdx: no vhdxfile identifier")
	}
	// The current header is the valid one with the higher sequence number.
	var cur []byte
	var seq uint64
	h := make([]byte, headerSize)
	for _, off := range []int64{header1Off, header2Off} {
		if imgfmt.ReadFull(r, h, off) != nil || !bytes.Equal(h[:4], headerSignature) || !checksumOK(h) {
			continue
		}
		if s := binary.LittleEndian.Uint64(h[8:]); cur == nil || s > seq {
			cur, seq = bytes.Clone(h), s
		}
	}
	if cur == nil {
		return nil, errors.New("vhdx: no valid header")
	}
	if !bytes.Equal(cur[48:64], make([]byte, 16)) {
		return nil, errors.New("vhdx: the log must be replayed first (non-zero log GUID)")
	}
	var batAt, batLen, metaAt, metaSize int64
	ok := false
	for _, off := range []int64{region1Off, region2Off} {
		if imgfmt.ReadFull(r, b, off) != nil || !bytes.Equal(b[:4], regionSignature) || !checksumOK(b) {
			continue
		}
		n := int(binary.LittleEndian.Uint32(b[8:]))
		if n > (regionSize-16)/32 {
			continue
		}
		for i := range n {
			e := b[16+32*i:]
			off, ln := int64(binary.LittleEndian.Uint64(e[16:])), int64(binary.LittleEndian.Uint32(e[24:]))
			switch [16]byte(e[:16]) {
			case batGUID:
				batAt, batLen = off, ln
			case metadataGUID:
				metaAt, metaSize = off, ln
			default:
				if binary.LittleEndian.Uint32(e[28:])&1 != 0 {
					return nil, errors.New("vhdx: unknown required region")
				}
			}
		}
		ok = true
		break
	}
	if !ok {
		return nil, errors.New("vhdx: no valid region table")
	}
	if batLen == 0 || metaSize < metaItemOff || batAt < 0 || metaAt < 0 || batAt > fileSize || metaAt > fileSize {
		return nil, errors.New("vhdx: BAT or metadata region missing or out of the file")
	}
	p, err := readMetadata(r, metaAt, metaSize)
	if err != nil {
		return nil, fmt.Errorf("vhdx: metadata: %w", err)
	}
	l := newLayout(p.size, p.blockSize)
	l.chunkRatio = (1 << 23) * p.logical / p.blockSize
	l.batEntries = l.dataBlocks + max(0, l.dataBlocks-1)/l.chunkRatio
	if l.batEntries*8 > batLen {
		return nil, fmt.Errorf("vhdx: BAT of %d bytes cannot hold %d entries", batLen, l.batEntries)
	}
	return &Reader{r: r, l: l, bat: batAt, batLen: batLen}, nil
}

type params struct {
	blockSize, size, logical int64
}

// readMetadata reads the system items the reader needs from the metadata
// table at off (region length n).
func readMetadata(r io.ReaderAt, off, n int64) (params, error) {
	t := make([]byte, metaItemOff)
	if err := imgfmt.ReadFull(r, t, off); err != nil {
		return params{}, err
	}
	if !bytes.Equal(t[:8], metaSignature) {
		return params{}, errors.New("bad signature")
	}
	count := int(binary.LittleEndian.Uint16(t[10:]))
	if count > (metaItemOff-32)/32 {
		return params{}, fmt.Errorf("%d entries", count)
	}
	var p params
	var fileParams uint32
	item := func(e []byte, want int) ([]byte, error) {
		o, ln := int64(binary.LittleEndian.Uint32(e[16:])), int64(binary.LittleEndian.Uint32(e[20:]))
		if ln < int64(want) || o < metaItemOff || o+int64(want) > n {
			return nil, fmt.Errorf("item at %d of %d bytes", o, ln)
		}
		v := make([]byte, want)
		return v, imgfmt.ReadFull(r, v, off+o)
	}
	for i := range count {
		e := t[32+32*i:]
		var v []byte
		var err error
		switch [16]byte(e[:16]) {
		case fileParamsGUID:
			if v, err = item(e, 8); err == nil {
				p.blockSize, fileParams = int64(binary.LittleEndian.Uint32(v)), binary.LittleEndian.Uint32(v[4:])
			}
		case diskSizeGUID:
			if v, err = item(e, 8); err == nil {
				p.size = int64(binary.LittleEndian.Uint64(v) & (1<<63 - 1))
			}
		case logicalSectGUID:
			if v, err = item(e, 4); err == nil {
				p.logical = int64(binary.LittleEndian.Uint32(v))
			}
		}
		if err != nil {
			return params{}, err
		}
	}
	switch {
	case p.blockSize < mib || p.blockSize > 256*mib || p.blockSize&(p.blockSize-1) != 0:
		return params{}, fmt.Errorf("block size %d unsupported", p.blockSize)
	case fileParams&2 != 0:
		return params{}, errors.New("differencing disks unsupported")
	case p.logical != 512 && p.logical != 4096:
		return params{}, fmt.Errorf("logical sector size %d unsupported", p.logical)
	case p.size > maxVirtualSize:
		return params{}, fmt.Errorf("virtual size %d too large", p.size)
	}
	return p, nil
}

// Size is the virtual size of the disk.
func (r *Reader) Size() int64 { return r.l.size }

// ReadAt reads the virtual disk; blocks that are not present read as zeros.
func (r *Reader) ReadAt(p []byte, off int64) (int, error) {
	return imgfmt.ReadBlocks(p, off, r.l.size, r.l.blockSize, r.readBlock)
}

func (r *Reader) readBlock(p []byte, blk, in int64) error {
	var e [8]byte
	if err := imgfmt.ReadFull(r.r, e[:], r.bat+r.l.batIndex(blk)*8); err != nil {
		return fmt.Errorf("vhdx: read BAT entry of block %d: %w", blk, err)
	}
	v := binary.LittleEndian.Uint64(e[:])
	switch v & 7 {
	case stateFullyPresent:
	case 7: // PAYLOAD_BLOCK_PARTIALLY_PRESENT: only in differencing disks
		return fmt.Errorf("vhdx: block %d partially present", blk)
	default: // not present, undefined, zero, unmapped
		clear(p)
		return nil
	}
	at := int64(v>>20) * mib
	if err := imgfmt.ReadFull(r.r, p, at+in); err != nil {
		return fmt.Errorf("vhdx: read block %d: %w", blk, err)
	}
	return nil
}
