package overlay

import (
	"context"
	"fmt"
	"io"
)

// Check reads the overlay archive r to its end (a plain tar, or a gzip of
// one), validating every member as described in the package documentation,
// and calls fn, when not nil, with each member in archive order; a regular
// file's SHA256 is filled in. Memory does not grow with file sizes.
//
// A refused archive gives an error wrapping ErrRejected and naming the
// member; an error of fn is returned wrapped, naming the member it was
// given; a failure of r or the end of ctx is returned wrapped as well. The
// Summary counts what was read so far in any case; its digest is set only
// when the archive was read to its end.
func Check(ctx context.Context, r io.Reader, lim Limits, fn func(Entry) error) (Summary, error) {
	rd, err := newReader(ctx, r, lim)
	if err != nil {
		return Summary{}, err
	}
	for {
		e, err := rd.next()
		if err == io.EOF {
			return rd.sum, nil
		}
		if err != nil {
			return rd.sum, err
		}
		if e.Kind == KindFile {
			if err := rd.copyContent(io.Discard); err != nil {
				return rd.sum, err
			}
		}
		if fn != nil {
			if err := fn(*e); err != nil {
				return rd.sum, fmt.Errorf("overlay member %q: %w", e.Path, err)
			}
		}
	}
}
