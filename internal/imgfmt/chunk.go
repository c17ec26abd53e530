package imgfmt

import (
	"errors"
	"fmt"
	"io"
)

// Chunk is a block-aligned piece of the source disk.
type Chunk struct {
	// Off is the offset of Data on the virtual disk, a multiple of the block size.
	Off int64
	// Data is a whole number of blocks. Past the end of the disk (unaligned
	// virtual size) it is padded with zeros.
	Data []byte
	// Read is how many bytes of the source this chunk covers (Data without padding).
	Read int64
}

// ChunkReader reads the allocated extents of a raw disk in block-aligned chunks,
// in increasing offset order. It holds no buffer of its own: callers pass one to
// Next, so they can hand chunks to other goroutines.
type ChunkReader struct {
	src   io.ReaderAt
	size  int64
	block int64
	exts  []Extent // aligned, remaining
	total int64
}

// NewChunkReader reads src (a raw disk of the given size) over exts (sorted, as
// Extents returns them), aligned to block bytes.
func NewChunkReader(src io.ReaderAt, size int64, exts []Extent, block int) *ChunkReader {
	al := AlignExtents(exts, int64(block), size)
	return &ChunkReader{src: src, size: size, block: int64(block), exts: al, total: TotalLength(al)}
}

// Total is the number of source bytes the reader will return: the sum of the
// block-aligned extents.
func (c *ChunkReader) Total() int64 { return c.total }

// Next fills buf (whose length must be a positive multiple of the block size)
// with the next chunk. It returns io.EOF when the extents are exhausted.
func (c *ChunkReader) Next(buf []byte) (Chunk, error) {
	if len(buf) == 0 || int64(len(buf))%c.block != 0 {
		return Chunk{}, fmt.Errorf("chunk buffer of %d bytes is not a multiple of %d", len(buf), c.block)
	}
	if len(c.exts) == 0 {
		return Chunk{}, io.EOF
	}
	e := &c.exts[0]
	n := min(int64(len(buf)), e.Length)
	want := (n + c.block - 1) / c.block * c.block // whole blocks, padding the disk's tail
	data := buf[:want]
	got, err := c.src.ReadAt(data[:n], e.Offset)
	if err != nil && !(errors.Is(err, io.EOF) && int64(got) == n) {
		if errors.Is(err, io.EOF) {
			// The source shrank under us: read what remains as zeros would silently
			// corrupt the image, so fail.
			return Chunk{}, fmt.Errorf("read source at %d: unexpected end of file: %w", e.Offset, io.ErrUnexpectedEOF)
		}
		return Chunk{}, fmt.Errorf("read source at %d: %w", e.Offset, err)
	}
	clear(data[n:])
	ch := Chunk{Off: e.Offset, Data: data, Read: n}
	e.Offset += n
	e.Length -= n
	if e.Length == 0 {
		c.exts = c.exts[1:]
	}
	return ch, nil
}
