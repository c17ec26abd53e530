package qcow2

import (
	"fmt"

	"github.com/kilnhq/kiln/internal/imgfmt"
	"github.com/klauspost/compress/flate"
)

// windowSize is the deflate window qemu's inflater is set up for (zlib
// windowBits -12). Streams with a 32 KiB window may reference data it cannot
// see and fail with "invalid distance too far back".
const windowSize = 4096

// appendWriter appends to a batch's Out buffer.
type appendWriter struct{ b *imgfmt.Batch }

func (a appendWriter) Write(p []byte) (int, error) {
	a.b.Out = append(a.b.Out, p...)
	return len(p), nil
}

// newCompressor returns the processing function of one worker: each non-zero
// cluster is deflated, and kept raw unless that saves at least 1/16 of it
// (nearly incompressible data is cheaper to read raw).
func newCompressor(cs int) (func(*imgfmt.Batch) error, error) {
	fw, err := flate.NewWriterWindow(nil, windowSize)
	if err != nil {
		return nil, fmt.Errorf("deflate writer: %w", err)
	}
	limit := cs - cs/16
	return func(b *imgfmt.Batch) error {
		for i := 0; i < len(b.Data); i += cs {
			blk := b.Data[i : i+cs]
			if imgfmt.IsZero(blk) {
				b.Blocks = append(b.Blocks, imgfmt.Block{Kind: imgfmt.BlockZero})
				continue
			}
			start := len(b.Out)
			fw.Reset(appendWriter{b})
			if _, err := fw.Write(blk); err != nil {
				return fmt.Errorf("deflate: %w", err)
			}
			if err := fw.Close(); err != nil {
				return fmt.Errorf("deflate: %w", err)
			}
			if len(b.Out)-start > limit {
				b.Out = b.Out[:start]
				b.Blocks = append(b.Blocks, imgfmt.Block{Kind: imgfmt.BlockRaw, Data: blk})
				continue
			}
			b.Blocks = append(b.Blocks, imgfmt.Block{Kind: imgfmt.BlockCompressed, Data: b.Out[start:len(b.Out):len(b.Out)]})
		}
		return nil
	}, nil
}
