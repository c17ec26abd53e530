package container

import (
	"archive/tar"
	"fmt"
	"io"
	"runtime"
	"time"

	"github.com/klauspost/pgzip"
)

// ioBuf is the buffer between a tar or gzip stream and a file: big enough
// that the disk sees large writes, small enough not to matter.
const ioBuf = 1 << 20

// newParallelGzip compresses in 1 MiB blocks, two per core in flight, so
// both cores compress while the tree is read. Its output has no name and
// no time in the header, so the same tar gives the same blob.
func newParallelGzip(w io.Writer) (*pgzip.Writer, error) {
	gz, err := pgzip.NewWriterLevel(w, pgzip.DefaultCompression)
	if err != nil {
		return nil, fmt.Errorf("start gzip: %w", err)
	}
	if err := gz.SetConcurrency(1<<20, 2*runtime.GOMAXPROCS(0)); err != nil {
		return nil, fmt.Errorf("start gzip: %w", err)
	}
	return gz, nil
}

// archiveWriter adds the metadata members of an image archive, owned by
// root and dated with the image, remembering the first error.
type archiveWriter struct {
	tw    *tar.Writer
	mtime time.Time
	err   error
}

func (a *archiveWriter) header(name string, size int64) *tar.Header {
	return &tar.Header{Typeflag: tar.TypeReg, Name: name, Size: size, Mode: 0o644, ModTime: a.mtime}
}

func (a *archiveWriter) file(name string, data []byte) {
	if a.err != nil {
		return
	}
	if err := a.tw.WriteHeader(a.header(name, int64(len(data)))); err != nil {
		a.err = fmt.Errorf("header %s: %w", name, err)
		return
	}
	if _, err := a.tw.Write(data); err != nil {
		a.err = fmt.Errorf("member %s: %w", name, err)
	}
}

func (a *archiveWriter) dir(name string) {
	if a.err != nil {
		return
	}
	hdr := &tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: 0o755, ModTime: a.mtime}
	if err := a.tw.WriteHeader(hdr); err != nil {
		a.err = fmt.Errorf("header %s: %w", name, err)
	}
}
