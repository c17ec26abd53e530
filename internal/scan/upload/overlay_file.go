package upload

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/kilnhq/kiln/internal/scan"
)

// writeFile archives the regular file at e.Path with hdr. The size is the one
// the open file has now, not the walk's: the closest to what will be read.
// ok reports whether a member was written; an error means the output failed.
func (a *archiver) writeFile(e scan.Entry, hdr *tar.Header) (ok bool, err error) {
	f, err := a.root.openFile(e.Path)
	if err != nil {
		a.skip(e.Path, err)
		return false, nil
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		a.skip(e.Path, err)
		return false, nil
	}
	if !info.Mode().IsRegular() {
		a.skip(e.Path, fmt.Errorf("no longer a regular file (%s)", info.Mode().Type()))
		return false, nil
	}
	recs, err := a.root.xattrs(f, e.Path, a.xbuf)
	if err != nil {
		a.log.Warn("scan: xattrs not archived", "path", e.Path, "err", err)
	}
	hdr.Typeflag, hdr.Size, hdr.PAXRecords, hdr.Linkname = tar.TypeReg, info.Size(), recs, ""
	if err := a.tw.WriteHeader(hdr); err != nil {
		return false, fmt.Errorf("overlay %s: %w", e.Path, err)
	}
	changed, err := a.copyContent(f, hdr.Size)
	if err != nil {
		return false, fmt.Errorf("overlay %s: %w", e.Path, err)
	}
	if changed != nil {
		a.stats.Changed++
		a.log.Warn("scan: file changed while archived; member kept at its header's size", "path", e.Path, "size", hdr.Size, "why", changed)
	}
	a.stats.Entries++
	a.stats.Files++
	a.stats.Bytes += hdr.Size
	if !a.all {
		a.written[e.Path] = true
	}
	return true, nil
}

var errGrew = errors.New("the file grew")

// copyContent writes exactly size bytes of f into the current member. When f
// ends early or cannot be read any more, the rest is zeros and changed says
// why; when it has more, the rest is left out and changed is errGrew. err is a
// failure of the output or the end of ctx: the archive cannot go on.
func (a *archiver) copyContent(f *os.File, size int64) (changed, err error) {
	left := size
	for left > 0 {
		if err := a.ctx.Err(); err != nil {
			return nil, err
		}
		n, rerr := f.Read(a.buf[:min(int64(len(a.buf)), left)])
		if n > 0 {
			if _, err := a.tw.Write(a.buf[:n]); err != nil {
				return nil, err
			}
			left -= int64(n)
		}
		if rerr != nil && left > 0 {
			if errors.Is(rerr, io.EOF) {
				rerr = fmt.Errorf("the file shrank by %d bytes", left)
			}
			return rerr, a.zeros(left)
		}
	}
	if n, _ := f.Read(a.buf[:1]); n > 0 {
		return errGrew, nil
	}
	return nil, nil
}

// zeros writes n zero bytes into the current member.
func (a *archiver) zeros(n int64) error {
	clear(a.buf)
	for n > 0 {
		k := min(int64(len(a.buf)), n)
		if _, err := a.tw.Write(a.buf[:k]); err != nil {
			return err
		}
		n -= k
	}
	return nil
}
