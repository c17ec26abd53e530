package imgfmt

import (
	"errors"
	"fmt"
	"io"
)

// ReadBlocks implements io.ReaderAt for a disk of size bytes stored in blocks
// (clusters, grains) of block bytes: it clips the read at the end of the disk
// (returning io.EOF with the bytes read, as io.ReaderAt asks) and calls read
// for each piece, with the block number and the offset inside it.
func ReadBlocks(p []byte, off, size, block int64, read func(p []byte, blk, in int64) error) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("read at negative offset %d", off)
	}
	if off >= size {
		if len(p) == 0 {
			return 0, nil
		}
		return 0, io.EOF
	}
	var eof error
	if int64(len(p)) > size-off {
		p, eof = p[:size-off], io.EOF
	}
	for done := 0; done < len(p); {
		pos := off + int64(done)
		in := pos % block
		n := int(min(int64(len(p)-done), block-in))
		if err := read(p[done:done+n], pos/block, in); err != nil {
			return done, err
		}
		done += n
	}
	return len(p), eof
}

// ReadFull reads len(b) bytes at off; a short read is an error.
func ReadFull(r io.ReaderAt, b []byte, off int64) error {
	n, err := r.ReadAt(b, off)
	if n == len(b) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return err
}

// WriteRuns writes each run of consecutive non-zero blocks of b with one
// call, stopping at size (the zero padding of a last partial block is left to
// the hole).
func WriteRuns(dst Destination, b *Batch, block int, size int64) error {
	for i := 0; i < len(b.Blocks); {
		if b.Blocks[i].Kind == BlockZero {
			i++
			continue
		}
		j := i + 1
		for j < len(b.Blocks) && b.Blocks[j].Kind != BlockZero {
			j++
		}
		off := b.Off + int64(i*block)
		end := min(b.Off+int64(j*block), size)
		if _, err := dst.WriteAt(b.Data[i*block:int(end-b.Off)], off); err != nil {
			return fmt.Errorf("write at %d: %w", off, err)
		}
		i = j
	}
	return nil
}
