// Package raw writes sparse raw disk images: only the non-zero blocks of the
// source's allocated extents are written, holes stay holes, and the file is
// truncated to the virtual size. Used when the target is raw and for GCE's
// disk.raw.
package raw

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/kilnhq/kiln/internal/imgfmt"
)

// Converter makes sparse raw copies.
type Converter struct{}

var _ imgfmt.Converter = Converter{}

const (
	blockSize = 64 << 10 // zero-detection granularity
	chunkSize = 1 << 20
)

// Convert copies the raw image src to dst, sparsely.
func Convert(ctx context.Context, src, dst *os.File, opts imgfmt.Options) error {
	return Converter{}.Convert(ctx, src, dst, opts)
}

// Convert copies the raw image src to dst, sparsely.
func (Converter) Convert(ctx context.Context, src, dst *os.File, opts imgfmt.Options) error {
	s, err := imgfmt.FileSource(src)
	if err != nil {
		return fmt.Errorf("raw: %w", err)
	}
	return Write(ctx, s, dst, opts)
}

// Write copies src to dst (which must be empty), writing only non-zero blocks.
func Write(ctx context.Context, src imgfmt.Source, dst imgfmt.Destination, opts imgfmt.Options) error {
	if opts.Compress {
		return errors.New("raw: compression is not supported")
	}
	cr := imgfmt.NewChunkReader(src.R, src.Size, src.Extents, blockSize)
	total := cr.Total()
	var done int64
	p := &imgfmt.Pipeline{
		Reader:    cr,
		BlockSize: blockSize,
		ChunkSize: chunkSize,
		Workers:   1, // zero detection is cheap; one worker overlaps it with I/O
		NewWorker: func() (func(*imgfmt.Batch) error, error) {
			return func(b *imgfmt.Batch) error { imgfmt.DetectZero(b, blockSize); return nil }, nil
		},
		Sink: func(b *imgfmt.Batch) error {
			if err := imgfmt.WriteRuns(dst, b, blockSize, src.Size); err != nil {
				return err
			}
			done += b.Read
			opts.Report(done, total)
			return nil
		},
	}
	if err := p.Run(ctx); err != nil {
		return fmt.Errorf("raw: %w", err)
	}
	if err := dst.Truncate(src.Size); err != nil {
		return fmt.Errorf("raw: set size: %w", err)
	}
	return nil
}
