package vmdk

import (
	"encoding/binary"
	"fmt"

	"github.com/klauspost/compress/zlib"

	"github.com/kilnhq/kiln/internal/imgfmt"
)

// appendWriter appends to a batch's Out buffer.
type appendWriter struct{ b *imgfmt.Batch }

func (a appendWriter) Write(p []byte) (int, error) {
	a.b.Out = append(a.b.Out, p...)
	return len(p), nil
}

// newGrainCompressor returns the processing function of one worker: every
// non-zero grain becomes its on-disk record, a 12-byte grain marker (virtual
// sector, compressed size) followed by the zlib stream, padded to a sector.
// streamOptimized has no uncompressed grains, so incompressible data is
// stored (zlib stored blocks), never kept raw.
func newGrainCompressor(level int) (func(*imgfmt.Batch) error, error) {
	zw, err := zlib.NewWriterLevel(nil, level)
	if err != nil {
		return nil, fmt.Errorf("zlib writer: %w", err)
	}
	return func(b *imgfmt.Batch) error {
		for i := 0; i < len(b.Data); i += grainSize {
			blk := b.Data[i : i+grainSize]
			if imgfmt.IsZero(blk) {
				b.Blocks = append(b.Blocks, imgfmt.Block{Kind: imgfmt.BlockZero})
				continue
			}
			start := len(b.Out)
			b.Out = binary.LittleEndian.AppendUint64(b.Out, uint64(b.Off+int64(i))/sector)
			b.Out = binary.LittleEndian.AppendUint32(b.Out, 0)
			zw.Reset(appendWriter{b})
			if _, err := zw.Write(blk); err != nil {
				return fmt.Errorf("zlib: %w", err)
			}
			if err := zw.Close(); err != nil {
				return fmt.Errorf("zlib: %w", err)
			}
			binary.LittleEndian.PutUint32(b.Out[start+8:], uint32(len(b.Out)-start-12))
			if r := (len(b.Out) - start) % sector; r != 0 {
				b.Out = append(b.Out, make([]byte, sector-r)...)
			}
			b.Blocks = append(b.Blocks, imgfmt.Block{Kind: imgfmt.BlockCompressed, Data: b.Out[start:len(b.Out):len(b.Out)]})
		}
		return nil
	}, nil
}
