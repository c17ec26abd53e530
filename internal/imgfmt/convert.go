package imgfmt

import (
	"context"
	"fmt"
	"io"
	"os"
)

// Converter turns a raw disk image into one disk format.
//
// src is read with ReadAt only (its file offset is not used); its size is the
// virtual size of the disk. dst must be empty; on error its content is undefined
// and the caller removes it.
type Converter interface {
	Convert(ctx context.Context, src *os.File, dst *os.File, opts Options) error
}

// Options are the knobs shared by all converters. The zero value is valid.
type Options struct {
	// Compress asks for compressed data blocks when the format supports them.
	// Converters of formats without compression return an error.
	Compress bool
	// Workers bounds the goroutines compressing in parallel; <= 0 means GOMAXPROCS.
	Workers int
	// Progress, when set, is called from the converting goroutine after each
	// chunk with the bytes of allocated source extents processed so far and their
	// total. It must be quick.
	Progress func(done, total int64)
}

// Report calls the progress callback if one is set.
func (o Options) Report(done, total int64) {
	if o.Progress != nil {
		o.Progress(done, total)
	}
}

// Destination is where converters write: random-access writes plus a final
// size. *os.File implements it.
type Destination interface {
	io.WriterAt
	Truncate(size int64) error
}

// Source is a raw disk: random reads, its virtual size and its allocated
// extents (holes read as zeros). FileSource builds one from a file.
type Source struct {
	R       io.ReaderAt
	Size    int64
	Extents []Extent
}

// FileSource stats f and lists its extents.
func FileSource(f *os.File) (Source, error) {
	st, err := f.Stat()
	if err != nil {
		return Source{}, fmt.Errorf("stat source image: %w", err)
	}
	exts, err := Extents(f)
	if err != nil {
		return Source{}, fmt.Errorf("list extents of %s: %w", f.Name(), err)
	}
	return Source{R: f, Size: st.Size(), Extents: exts}, nil
}
