package overlay

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"

	"github.com/klauspost/compress/gzip"
)

const (
	// maxTrailer bounds the zero padding accepted after the end-of-archive
	// marker: GNU tar pads to its record size (10 KiB by default, 1 MiB with
	// -b 2048). More is a stream of zeros meant to keep a reader busy.
	maxTrailer = 1 << 20
	// endMarker is the two zero blocks that end a tar archive.
	endMarker = 2 * 512
)

// rawReader is the caller's stream: hashed and counted as read (the digest
// and size of the stored object), bounded, and cancellable between reads.
// It remembers the caller's own failures, so that they are not reported as
// a malformed archive.
type rawReader struct {
	ctx context.Context
	r   io.Reader
	h   hash.Hash
	n   int64
	max int64
	err error // the source's or the context's error, never the archive's
}

func (r *rawReader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		r.err = err
		return 0, err
	}
	n, err := r.r.Read(p)
	r.h.Write(p[:n])
	r.n += int64(n)
	if r.n > r.max {
		return n, fmt.Errorf("the compressed stream exceeds %d bytes: %w", r.max, ErrRejected)
	}
	if err != nil && err != io.EOF {
		r.err = err
	}
	return n, err
}

// tarCounter is the uncompressed tar stream: counted and bounded as it is
// read, whatever the headers claim, and watched for the zero bytes that end
// an archive. When it is decompressed from gz, it is also bounded relative
// to the compressed bytes read (Limits.MaxRatio).
type tarCounter struct {
	r     io.Reader
	n     int64
	max   int64
	zeros int64 // length of the run of zero bytes at the end of what was read

	gz    *rawReader // the compressed stream, nil when there is none
	ratio int64
	floor int64
}

func (c *tarCounter) Read(p []byte) (int, error) {
	// Read at most one byte beyond the limit: that byte proves the excess
	// without reading it all.
	if room := c.max - c.n + 1; int64(len(p)) > room {
		p = p[:room]
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	c.trackZeros(p[:n])
	if c.n > c.max {
		return n, fmt.Errorf("the archive exceeds %d bytes: %w", c.max, ErrRejected)
	}
	if c.gz != nil && c.n > c.floor && c.n/c.ratio > c.gz.n {
		return n, fmt.Errorf("the gzip stream expands more than %d times (%d bytes of tar from %d compressed): a decompression bomb, or files of zeros to leave out: %w",
			c.ratio, c.n, c.gz.n, ErrRejected)
	}
	return n, err
}

func (c *tarCounter) trackZeros(b []byte) {
	i := len(b)
	for i > 0 && b[i-1] == 0 {
		i--
	}
	if i == 0 {
		c.zeros += int64(len(b))
	} else {
		c.zeros = int64(len(b) - i)
	}
}

// openStream builds raw → [gzip] → counted tar input.
func openStream(ctx context.Context, r io.Reader, lim Limits) (*rawReader, *tarCounter, bool, error) {
	// Incompressible data grows under deflate by 5 bytes per 64 KiB stored
	// block plus a small header: the slack keeps a gzip of a tar of exactly
	// MaxBytes acceptable, and still bounds a stream of empty gzip members,
	// which would otherwise go on forever without producing a byte.
	raw := &rawReader{ctx: ctx, r: r, h: sha256.New(), max: lim.MaxBytes + lim.MaxBytes/8192 + 1<<20}
	br := bufio.NewReaderSize(raw, 32<<10)
	magic, _ := br.Peek(6) // a shorter stream is not compressed; tar will say what it is
	var in io.Reader = br
	gz := false
	switch {
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		z, err := gzip.NewReader(br)
		if err != nil {
			if raw.err != nil {
				return nil, nil, false, fmt.Errorf("read overlay: %w", raw.err)
			}
			return nil, nil, false, fmt.Errorf("gzip header: %w: %w", err, ErrRejected)
		}
		in, gz = z, true
	case bytes.HasPrefix(magic, []byte("\xfd7zXZ\x00")):
		return nil, nil, false, fmt.Errorf("the stream is compressed with xz; only gzip is accepted: %w", ErrRejected)
	case bytes.HasPrefix(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		return nil, nil, false, fmt.Errorf("the stream is compressed with zstd; only gzip is accepted: %w", ErrRejected)
	case bytes.HasPrefix(magic, []byte("BZh")):
		return nil, nil, false, fmt.Errorf("the stream is compressed with bzip2; only gzip is accepted: %w", ErrRejected)
	}
	tc := &tarCounter{r: in, max: lim.MaxBytes}
	if gz {
		tc.gz, tc.ratio, tc.floor = raw, lim.MaxRatio, lim.RatioFloor
	}
	return raw, tc, gz, nil
}

// drainTrailer reads what follows the end-of-archive marker, which must be
// zero padding, so that the stream is consumed (and hashed) to its end and
// a gzip stream's checksum is verified.
func drainTrailer(c *tarCounter, buf []byte) error {
	var total int64
	for {
		n, err := c.Read(buf)
		total += int64(n)
		if !allZero(buf[:n]) {
			return fmt.Errorf("data after the end-of-archive marker: %w", ErrRejected)
		}
		if total > maxTrailer {
			return fmt.Errorf("more than %d bytes of padding after the end-of-archive marker: %w", maxTrailer, ErrRejected)
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
