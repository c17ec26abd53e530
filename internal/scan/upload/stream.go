package upload

import (
	"context"
	"errors"
	"io"
)

// chunkWriter is the write end of an upload: what is written goes straight
// into chunk buffers, and each full one is handed to the sender (Uploader.send)
// in order, while the writer goes on filling the next. There is no pipe and no
// buffer in between: the archive's bytes are copied once, into the chunk that
// is sent. At most depth buffers ever exist (allocated as they are first
// needed, so a small overlay takes one); Write blocks while they are all full
// or being sent.
//
// One goroutine writes (then calls close); the sender reads full and gives
// buffers back on free.
type chunkWriter struct {
	ctx   context.Context
	size  int // capacity of a chunk
	depth int // buffers at most
	made  int
	cur   []byte // being filled; nil when none is held
	free  chan []byte
	full  chan chunk
	err   error // sticky: ctx ended
}

// chunk is one piece of the stream, in order; the last one (possibly empty)
// ends it, and err one that failed.
type chunk struct {
	data []byte
	last bool
	err  error
}

func newChunkWriter(ctx context.Context, size, depth int) *chunkWriter {
	depth = max(depth, 2)
	return &chunkWriter{
		ctx: ctx, size: size, depth: depth,
		free: make(chan []byte, depth),
		full: make(chan chunk, depth),
	}
}

// take gets an empty buffer: a new one while fewer than depth exist, or one
// the sender has given back.
func (w *chunkWriter) take() error {
	if w.err != nil {
		return w.err
	}
	select {
	case b := <-w.free:
		w.cur = b[:0]
		return nil
	default:
	}
	if w.made < w.depth {
		w.made++
		w.cur = make([]byte, 0, w.size)
		return nil
	}
	select {
	case b := <-w.free:
		w.cur = b[:0]
		return nil
	case <-w.ctx.Done():
		w.err = w.ctx.Err()
		return w.err
	}
}

// ship hands the current buffer to the sender.
func (w *chunkWriter) ship(c chunk) error {
	select {
	case w.full <- c:
		w.cur = nil
		return nil
	case <-w.ctx.Done():
		w.err = w.ctx.Err()
		return w.err
	}
}

// space is the free part of the current chunk (never empty): a caller may
// read into it and then Write that same slice, which commits it without a
// copy (the archiver reads file contents so: see archiver.copyContent).
func (w *chunkWriter) space() ([]byte, error) {
	if w.cur == nil {
		if err := w.take(); err != nil {
			return nil, err
		}
	}
	return w.cur[len(w.cur):cap(w.cur)], nil
}

// Write copies p into the chunks, shipping each one as it fills up. When p is
// (a prefix of) the free part of the current chunk, filled through space, it
// is already in place: it is only counted in.
func (w *chunkWriter) Write(p []byte) (int, error) {
	if len(p) > 0 && w.cur != nil && len(p) <= cap(w.cur)-len(w.cur) &&
		&p[0] == &w.cur[len(w.cur):cap(w.cur)][0] {
		w.cur = w.cur[:len(w.cur)+len(p)]
		if len(w.cur) == cap(w.cur) {
			if err := w.ship(chunk{data: w.cur}); err != nil {
				return 0, err
			}
		}
		return len(p), nil
	}
	n := 0
	for len(p) > 0 {
		if w.cur == nil {
			if err := w.take(); err != nil {
				return n, err
			}
		}
		k := copy(w.cur[len(w.cur):cap(w.cur)], p)
		w.cur = w.cur[:len(w.cur)+k]
		n += k
		p = p[k:]
		if len(w.cur) == cap(w.cur) {
			if err := w.ship(chunk{data: w.cur}); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

// ReadFrom reads r to its end straight into the chunks (io.Copy uses it).
func (w *chunkWriter) ReadFrom(r io.Reader) (int64, error) {
	var total int64
	for {
		if w.cur == nil {
			if err := w.take(); err != nil {
				return total, err
			}
		}
		n, err := r.Read(w.cur[len(w.cur):cap(w.cur)])
		w.cur = w.cur[:len(w.cur)+n]
		total += int64(n)
		if len(w.cur) == cap(w.cur) {
			if serr := w.ship(chunk{data: w.cur}); serr != nil {
				return total, serr
			}
		}
		if errors.Is(err, io.EOF) {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

// close ends the stream: with err nil the data not yet shipped goes as the
// last chunk (empty when the stream ended on a chunk's boundary), which the
// sender completes the upload with; otherwise the sender is told err and
// never completes.
func (w *chunkWriter) close(err error) {
	c := chunk{data: w.cur, last: true}
	if err != nil {
		c = chunk{err: err}
	}
	_ = w.ship(c) // the ctx ended: the sender is gone
}
