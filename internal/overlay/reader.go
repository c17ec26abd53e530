package overlay

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
)

// copyBuf is the chunk in which contents are copied: large enough to keep
// syscalls and hash calls few, irrelevant in memory.
const copyBuf = 1 << 20

// reader is the one validating reader behind Check and Apply: it yields
// members that passed every check, in archive order, and the content of the
// current regular file, hashed as it is copied.
type reader struct {
	ctx      context.Context
	lim      Limits
	raw      *rawReader
	in       *tarCounter
	tr       *tar.Reader
	idx      *index
	sum      Summary
	buf      []byte
	fileHash hash.Hash
	cur      *Entry
	left     int64 // bytes of cur's content not read yet
	unread   bool  // cur is a regular file whose content was not copied
	done     bool
}

func newReader(ctx context.Context, r io.Reader, lim Limits) (*reader, error) {
	lim = lim.withDefaults()
	raw, in, gz, err := openStream(ctx, r, lim)
	if err != nil {
		return nil, err
	}
	return &reader{
		ctx: ctx, lim: lim, raw: raw, in: in,
		tr:       tar.NewReader(in),
		idx:      newIndex(),
		sum:      Summary{Gzip: gz},
		fileHash: sha256.New(),
	}, nil
}

// next returns the next valid member, or io.EOF once the archive ended
// properly and the stream was read to its end. A regular file's content is
// read with copyContent; next skips (and hashes) what the caller left.
func (rd *reader) next() (*Entry, error) {
	if rd.done {
		return nil, io.EOF
	}
	if err := rd.ctx.Err(); err != nil {
		rd.raw.err = err
		return nil, rd.streamErr(err)
	}
	if rd.unread {
		if err := rd.copyContent(io.Discard); err != nil {
			return nil, err
		}
	}
	before := rd.in.n
	hdr, err := rd.tr.Next()
	if errors.Is(err, tar.ErrInsecurePath) {
		err = nil // names are judged below, more strictly
	}
	if err == io.EOF {
		return nil, rd.finish(before)
	}
	if err != nil {
		return nil, rd.streamErr(err)
	}
	rd.sum.Entries++
	n := rd.sum.Entries
	if n > rd.lim.MaxEntries {
		return nil, rd.reject(hdr.Name, fmt.Errorf("more than %d members", rd.lim.MaxEntries))
	}
	e, err := rd.entry(hdr)
	if err == nil {
		err = rd.idx.admit(e)
	}
	if err != nil {
		return nil, rd.reject(hdr.Name, err)
	}
	switch e.Kind {
	case KindFile:
		rd.sum.Files++
		rd.left, rd.unread = e.Size, true
	case KindDir:
		rd.sum.Dirs++
	case KindSymlink:
		rd.sum.Symlinks++
	case KindHardlink:
		rd.sum.Hardlinks++
	case KindFIFO:
		rd.sum.FIFOs++
	}
	rd.cur = e
	return e, nil
}

// copyContent copies the current file's content to w in chunks, hashing it
// into cur.SHA256. An error from w is returned as is, for the caller to say
// what it was writing.
func (rd *reader) copyContent(w io.Writer) error {
	rd.unread = false
	rd.fileHash.Reset()
	for rd.left > 0 {
		if err := rd.ctx.Err(); err != nil {
			rd.raw.err = err
			return rd.streamErr(err)
		}
		chunk := rd.buffer(rd.left)
		n, err := io.ReadFull(rd.tr, chunk)
		rd.fileHash.Write(chunk[:n])
		rd.left -= int64(n)
		rd.sum.Bytes += int64(n)
		if err != nil {
			return rd.streamErr(err)
		}
		if _, err := w.Write(chunk); err != nil {
			return err
		}
	}
	rd.cur.SHA256 = hex.EncodeToString(rd.fileHash.Sum(nil))
	return nil
}

// buffer returns a chunk of at most n bytes to copy through. It grows to
// copyBuf as needed, so that checking a small archive allocates little.
func (rd *reader) buffer(n int64) []byte {
	if int64(len(rd.buf)) < n && len(rd.buf) < copyBuf {
		rd.buf = make([]byte, min(copyBuf, max(n, 32<<10)))
	}
	return rd.buf[:min(int64(len(rd.buf)), n)]
}

// finish checks the end of the archive: Next reports io.EOF also when the
// stream simply stops between members, or after a single zero block, so the
// two zero blocks must have been read by this last call. It then reads the
// padding to the end of the stream, so that the digest covers all of it.
func (rd *reader) finish(before int64) error {
	if rd.in.n-before < endMarker || rd.in.zeros < endMarker {
		if rd.raw.err != nil {
			return rd.streamErr(rd.raw.err)
		}
		return fmt.Errorf("the archive stops without its end-of-archive marker%s (truncated?): %w", rd.after(), ErrRejected)
	}
	if err := drainTrailer(rd.in, rd.buffer(32<<10)); err != nil {
		return rd.streamErr(err)
	}
	rd.done = true
	rd.sum.TarBytes = rd.in.n
	rd.sum.StreamBytes = rd.raw.n
	rd.sum.SHA256 = hex.EncodeToString(rd.raw.h.Sum(nil))
	return io.EOF
}

// streamErr sorts a failure to read: the caller's stream or context failed
// (not the archive's fault), a limit was hit (already a rejection), or the
// bytes are not a valid tar or gzip stream (a rejection).
func (rd *reader) streamErr(err error) error {
	switch {
	case rd.raw.err != nil:
		return fmt.Errorf("read overlay%s: %w", rd.after(), rd.raw.err)
	case errors.Is(err, ErrRejected):
		return fmt.Errorf("%s: %w", rd.position(), err)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("%s: the stream stops in the middle of a member (truncated?): %w", rd.position(), ErrRejected)
	}
	return fmt.Errorf("%s: malformed archive: %w: %w", rd.position(), err, ErrRejected)
}

// reject refuses the member named name.
func (rd *reader) reject(name string, why error) error {
	return fmt.Errorf("member %d %q: %w: %w", rd.sum.Entries, name, why, ErrRejected)
}

// position says where the stream is, for errors between members.
func (rd *reader) position() string {
	return fmt.Sprintf("at byte %d of the tar stream%s", rd.in.n, rd.after())
}

func (rd *reader) after() string {
	if rd.cur == nil {
		return ", before any member"
	}
	return fmt.Sprintf(", in or after member %d %q", rd.sum.Entries, rd.cur.Path)
}
