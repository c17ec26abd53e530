package upload

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"

	"golang.org/x/sys/unix"

	"github.com/kilnhq/kiln/internal/scan"
)

// writeFile archives the regular file at e.Path with hdr. The size is the one
// the open file has now, not the walk's: the closest to what will be read.
// ok reports whether a member was written (or queued for the writer, which
// then owns the open file); an error means the output failed.
func (a *archiver) writeFile(e scan.Entry, hdr *tar.Header) (ok bool, err error) {
	f, err := a.root.openFile(e.Path)
	if err != nil {
		a.skip(e.Path, err)
		return false, nil
	}
	st, err := f.stat()
	if err != nil {
		f.Close()
		a.skip(e.Path, err)
		return false, nil
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		f.Close()
		a.skip(e.Path, fmt.Errorf("no longer a regular file (mode %#o)", st.Mode&unix.S_IFMT))
		return false, nil
	}
	recs, err := a.root.xattrs(f, e.Path, a.xbuf)
	if err != nil {
		a.log.Warn("scan: xattrs not archived", "path", e.Path, "err", err)
	}
	hdr.Typeflag, hdr.Size, hdr.PAXRecords, hdr.Linkname = tar.TypeReg, st.Size, recs, ""
	if err := a.emit(tarMember{hdr: hdr, f: f, path: e.Path}); err != nil {
		return false, err
	}
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
//
// The read that reaches the end asks for one byte more than the member
// needs: a regular file returns less than asked only at its end, so getting
// just the rest proves the file has not grown, without the extra read(2)
// that would return 0 bytes.
func (a *archiver) copyContent(f *rawFile, size int64) (changed, err error) {
	left := size
	for left > 0 {
		if err := a.ctx.Err(); err != nil {
			return nil, err
		}
		buf := a.buf
		if a.chunks != nil {
			// Read straight into the chunk that will be sent: the tar writer
			// hands the same bytes to the chunk writer, which takes them in
			// place. One copy (the kernel's) from the file to the chunk.
			if buf, err = a.chunks.space(); err != nil {
				return nil, err
			}
		}
		want := min(int64(len(buf)), left+1)
		n, rerr := f.Read(buf[:want])
		if int64(n) > left {
			// Past the header's size: the file grew.
			if _, err := a.tw.Write(buf[:left]); err != nil {
				return nil, err
			}
			return errGrew, nil
		}
		if n > 0 {
			if _, err := a.tw.Write(buf[:n]); err != nil {
				return nil, err
			}
			left -= int64(n)
			if left == 0 && int64(n) < want {
				return nil, nil // a short read: the file ends here
			}
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
