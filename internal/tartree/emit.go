package tartree

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// copyBufSize is the block in which file contents are copied: large enough to
// keep syscalls and downstream hash/gzip calls few, irrelevant in memory.
const copyBufSize = 1 << 20

// inode identifies a file across its hard links.
type inode struct{ dev, ino uint64 }

// emitter turns visited entries into tar members.
type emitter struct {
	tw       *tar.Writer
	root     string
	prefix   string
	opts     Options
	links    map[inode]string // first member name of each multiply linked inode
	buf      []byte
	stats    Stats
	progress *progress
}

// emitRoot checks that root is a directory and, when a prefix is set, writes
// it as the prefix directory so that the root's own mode and owner survive.
func (e *emitter) emitRoot() error {
	var st unix.Stat_t
	if err := unix.Stat(e.root, &st); err != nil {
		return fmt.Errorf("stat tree root %s: %w", e.root, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return fmt.Errorf("tree root %s is not a directory", e.root)
	}
	if e.prefix == "" {
		return nil
	}
	hdr := e.header(&st, e.prefix)
	hdr.Typeflag = tar.TypeDir
	recs, err := xattrRecords(e.root)
	if err != nil {
		return err
	}
	hdr.PAXRecords = recs
	return e.write(hdr)
}

// emit writes one entry; rel is "/etc/x", abs its path on disk.
func (e *emitter) emit(ctx context.Context, rel, abs string, _ fs.DirEntry) error {
	var st unix.Stat_t
	if err := unix.Lstat(abs, &st); err != nil {
		return fmt.Errorf("stat %s: %w", abs, err)
	}
	hdr := e.header(&st, e.prefix+rel[1:])
	kind := st.Mode & unix.S_IFMT
	switch kind {
	case unix.S_IFDIR:
		hdr.Typeflag = tar.TypeDir
		hdr.Name += "/"
	case unix.S_IFREG:
		hdr.Typeflag = tar.TypeReg
		hdr.Size = st.Size
	case unix.S_IFLNK:
		target, err := os.Readlink(abs)
		if err != nil {
			return fmt.Errorf("read symlink %s: %w", abs, err)
		}
		hdr.Typeflag = tar.TypeSymlink
		hdr.Linkname = target
	case unix.S_IFCHR, unix.S_IFBLK:
		if !e.opts.Devices {
			return nil
		}
		hdr.Typeflag = tar.TypeChar
		if kind == unix.S_IFBLK {
			hdr.Typeflag = tar.TypeBlock
		}
		hdr.Devmajor = int64(unix.Major(st.Rdev))
		hdr.Devminor = int64(unix.Minor(st.Rdev))
	case unix.S_IFIFO:
		if !e.opts.Devices {
			return nil
		}
		hdr.Typeflag = tar.TypeFifo
	default:
		// Sockets belong to a running process; there is nothing to archive.
		return nil
	}

	if kind != unix.S_IFDIR && st.Nlink > 1 {
		key := inode{dev: st.Dev, ino: st.Ino}
		if first, ok := e.links[key]; ok {
			// Same inode as a member already written: a tar hard link, so
			// extraction recreates one inode instead of copies.
			hdr.Typeflag = tar.TypeLink
			hdr.Linkname = first
			hdr.Size = 0
			return e.write(hdr)
		}
		e.links[key] = hdr.Name
	}

	recs, err := xattrRecords(abs)
	if err != nil {
		return err
	}
	hdr.PAXRecords = recs
	if err := e.write(hdr); err != nil {
		return err
	}
	if hdr.Typeflag == tar.TypeReg && hdr.Size > 0 {
		return e.copyFile(ctx, abs, hdr.Size)
	}
	return nil
}

// header fills what every member shares. Owners are numeric only: names
// would be looked up on the build host, whose passwd is not the image's.
// Times are whole seconds, which avoids a PAX record per member.
func (e *emitter) header(st *unix.Stat_t, name string) *tar.Header {
	mtime := time.Unix(st.Mtim.Sec, 0)
	if !e.opts.ModTime.IsZero() {
		if clamp := e.opts.ModTime.Truncate(time.Second); mtime.After(clamp) {
			mtime = clamp
		}
	}
	return &tar.Header{
		Name:    name,
		Mode:    int64(st.Mode & 0o7777), // permissions with setuid, setgid and sticky
		Uid:     int(st.Uid),
		Gid:     int(st.Gid),
		ModTime: mtime,
		Format:  tar.FormatPAX,
	}
}

func (e *emitter) write(hdr *tar.Header) error {
	if err := e.tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("write tar header %s: %w", hdr.Name, err)
	}
	e.stats.Files++
	return nil
}

// copyFile streams exactly size bytes of the file into the current member.
func (e *emitter) copyFile(ctx context.Context, abs string, size int64) error {
	// O_NOFOLLOW: the entry was a regular file at lstat time; never follow a
	// symlink swapped in since, which could point outside the tree.
	f, err := os.OpenFile(abs, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return fmt.Errorf("open %s: %w", abs, err)
	}
	defer f.Close()
	for left := size; left > 0; {
		if err := ctx.Err(); err != nil {
			return err
		}
		chunk := e.buf[:min(int64(len(e.buf)), left)]
		n, err := io.ReadFull(f, chunk)
		if n > 0 {
			if _, werr := e.tw.Write(chunk[:n]); werr != nil {
				return fmt.Errorf("write tar member for %s: %w", abs, werr)
			}
			left -= int64(n)
			e.stats.Bytes += int64(n)
			if e.progress != nil {
				e.progress.report(e.stats.Bytes, false)
			}
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("read %s: file shrank while being archived (%d of %d bytes missing)", abs, left, size)
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", abs, err)
		}
	}
	return nil
}
