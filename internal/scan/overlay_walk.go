package scan

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"time"

	"golang.org/x/sys/unix"
)

// hashJob is the work an entry needs before it can be emitted or dropped.
type hashJob uint8

const (
	hashNone   hashJob = iota
	hashVerify         // package file: compare its md5 with dpkg's, then SHA-256 if it differs
	hashSHA256         // added file: SHA-256 for the report
)

// fileID identifies an inode, to find hard links.
type fileID struct{ dev, ino uint64 }

// item is one entry on its way from the walker to the emitter. The walker owns it
// until it is sent; a worker then owns it until it closes done; the emitter reads
// it only after done.
type item struct {
	e       Entry
	job     hashJob
	want    [16]byte // expected md5 for hashVerify
	id      fileID
	nlink   uint64
	host    string        // host path, for the hashing workers
	done    chan struct{} // nil when the entry needs no hashing
	skipErr error         // set: count and report as skipped, do not emit
	drop    bool          // set by verification: unchanged package file
}

// walker produces the items of a tree in order. Its counters are read only after
// it has finished.
type walker struct {
	t     *tree
	idx   *pkgIndex
	skip  map[string]bool
	order chan<- *item
	jobs  chan<- *item
	noSHA bool
	// verifyAll reads every package file, whatever its ctime (see
	// owner.untouchedSince).
	verifyAll bool

	walked, excluded, untouched int64

	dirbuf, linkbuf []byte // readNames' and readlink's, reused
}

func (w *walker) walk(ctx context.Context) error {
	var st unix.Stat_t
	if err := unix.Lstat(w.t.root, &st); err != nil {
		return fmt.Errorf("walk: %w", &os.PathError{Op: "lstat", Path: w.t.root, Err: err})
	}
	return w.entry(ctx, -1, []byte("/"), "", &st)
}

// The walk goes down the tree through directory descriptors: each directory
// is opened relative to its parent's (O_NOFOLLOW: a symlink swapped in for it
// since it was seen is not followed), and its entries are stat'ed relative to
// it, one path component at a time. Absolute host paths would make the kernel
// resolve every component of the scan root and of the path for each of the
// tens of thousands of entries (and follow a symlink swapped in for any
// directory on the way).

// openDir opens the directory name of the directory open at parent (the scan
// root when parent is negative).
func (w *walker) openDir(parent int, name string) (int, error) {
	const flags = unix.O_RDONLY | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC
	for {
		var fd int
		var err error
		if parent < 0 {
			fd, err = unix.Open(w.t.root, flags, 0)
		} else {
			fd, err = unix.Openat(parent, name, flags, 0)
		}
		if errors.Is(err, unix.EINTR) {
			continue
		}
		return fd, err
	}
}

// dir walks the contents of the directory name (at p) of the directory open
// at parent. An unreadable directory is reported as skipped; its entry has
// already been handled.
func (w *walker) dir(ctx context.Context, parent int, p, name string) error {
	fd, err := w.openDir(parent, name)
	var names []string
	if err == nil {
		names, err = w.readNames(fd)
		defer unix.Close(fd)
	}
	if err != nil && p == "/" {
		return fmt.Errorf("walk: read scan root: %w", err)
	}
	if err != nil {
		return w.send(ctx, &item{e: Entry{Path: p}, skipErr: fmt.Errorf("read directory: %w", err)})
	}
	return w.children(ctx, fd, p, names)
}

// readNames lists the directory open at fd, sorted bytewise.
func (w *walker) readNames(fd int) ([]string, error) {
	if w.dirbuf == nil {
		w.dirbuf = make([]byte, 64<<10)
	}
	var names []string
	for {
		n, err := unix.ReadDirent(fd, w.dirbuf)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if n <= 0 {
			break
		}
		_, _, names = unix.ParseDirent(w.dirbuf[:n], -1, names)
	}
	slices.Sort(names)
	return names, nil
}

func (w *walker) children(ctx context.Context, dirfd int, dir string, names []string) error {
	var st unix.Stat_t
	// The entries' paths are built in pb: looking them up (m[string(pb)])
	// copies nothing, and most entries (unchanged package files) need no
	// string of their own.
	pb := make([]byte, 0, len(dir)+64)
	pb = append(pb, dir...)
	if dir != "/" {
		pb = append(pb, '/')
	}
	prefix := len(pb)
	for _, name := range names {
		if err := ctx.Err(); err != nil {
			return err
		}
		pb = append(pb[:prefix], name...)
		if w.skip[string(pb)] {
			w.excluded++
			continue
		}
		err := unix.Fstatat(dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW)
		for errors.Is(err, unix.EINTR) {
			err = unix.Fstatat(dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW)
		}
		if err != nil {
			if errors.Is(err, unix.ENOENT) {
				continue // removed since the directory was read: a live system moves
			}
			p := string(pb)
			if err := w.send(ctx, &item{e: Entry{Path: p}, skipErr: &os.PathError{Op: "lstat", Path: w.t.host(p), Err: err}}); err != nil {
				return err
			}
			continue
		}
		if err := w.entry(ctx, dirfd, pb, name, &st); err != nil {
			return err
		}
	}
	return nil
}

// fileMode is the fs.FileMode of a stat(2) mode, as os.Lstat builds it.
func fileMode(m uint32) fs.FileMode {
	mode := fs.FileMode(m & 0o777)
	switch m & unix.S_IFMT {
	case unix.S_IFBLK:
		mode |= fs.ModeDevice
	case unix.S_IFCHR:
		mode |= fs.ModeDevice | fs.ModeCharDevice
	case unix.S_IFDIR:
		mode |= fs.ModeDir
	case unix.S_IFIFO:
		mode |= fs.ModeNamedPipe
	case unix.S_IFLNK:
		mode |= fs.ModeSymlink
	case unix.S_IFSOCK:
		mode |= fs.ModeSocket
	}
	if m&unix.S_ISGID != 0 {
		mode |= fs.ModeSetgid
	}
	if m&unix.S_ISUID != 0 {
		mode |= fs.ModeSetuid
	}
	if m&unix.S_ISVTX != 0 {
		mode |= fs.ModeSticky
	}
	return mode
}

// readlink reads the target of the symlink name in the directory open at dirfd.
func (w *walker) readlink(dirfd int, name string) (string, error) {
	if len(w.linkbuf) == 0 {
		w.linkbuf = make([]byte, 4096)
	}
	for {
		n, err := unix.Readlinkat(dirfd, name, w.linkbuf)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return "", err
		}
		if n < len(w.linkbuf) {
			return string(w.linkbuf[:n]), nil
		}
		w.linkbuf = make([]byte, 2*len(w.linkbuf)) // maybe truncated: ask again with more room
	}
}

// entry decides what an entry needs: nothing (unchanged package entry), hashing,
// or emission as is; and descends into directories. The entry is name in the
// directory open at dirfd (the scan root itself when dirfd is negative), at pb
// in the scanned system (the caller's buffer: copied when kept); st is its
// lstat.
func (w *walker) entry(ctx context.Context, dirfd int, pb []byte, name string, st *unix.Stat_t) error {
	w.walked++
	mode := fileMode(st.Mode)
	own, owned := w.idx.paths[string(pb)]
	switch {
	case owned && own.hasMD5 && !own.obsolete && !w.verifyAll && mode.IsRegular() &&
		own.untouchedSince(st.Ctim.Nano()):
		w.untouched++ // unchanged since dpkg installed it: not read
		return nil
	case owned && !own.hasMD5 && !own.obsolete && mode&fs.ModeSymlink != 0:
		return nil // package symlink: dpkg records no target to compare
	}
	p := string(pb)
	it := &item{e: Entry{Path: p, Mode: mode, ModTime: time.Unix(st.Mtim.Unix()), Reason: ReasonAdded}}
	it.e.UID, it.e.GID = int(st.Uid), int(st.Gid)
	it.id, it.nlink = fileID{dev: uint64(st.Dev), ino: st.Ino}, uint64(st.Nlink)
	if owned && own.obsolete {
		owned = false // no longer shipped: only the overlay can bring it back
		it.e.Package = own.pkg
	}
	// modifiedKind marks a package path that is no longer what dpkg installed:
	// the package shipped a regular file (it has an md5) and the path is now
	// something else, or dpkg has nothing to verify the file against.
	modifiedKind := func() {
		it.e.Reason, it.e.Package = ReasonModified, own.pkg
	}

	switch {
	case mode.IsDir():
		it.e.Kind = KindDir
		if owned && !own.hasMD5 {
			return w.dir(ctx, dirfd, p, name) // package directory: only its contents may differ
		}
		if owned {
			modifiedKind()
		}
		if err := w.send(ctx, it); err != nil {
			return err
		}
		return w.dir(ctx, dirfd, p, name)

	case mode&fs.ModeSymlink != 0:
		if owned && !own.hasMD5 {
			return nil
		}
		if owned {
			modifiedKind()
		}
		target, err := w.readlink(dirfd, name)
		if err != nil {
			it.skipErr = fmt.Errorf("read symlink: %w", err)
		}
		it.e.Kind, it.e.LinkTarget = KindSymlink, target
		return w.send(ctx, it)

	case mode.IsRegular():
		it.e.Kind, it.e.Size = KindFile, st.Size
		switch {
		case owned && own.hasMD5:
			it.job, it.want, it.e.Package = hashVerify, own.md5, own.pkg
		case owned:
			// dpkg has no md5 for it: a directory or symlink in the package
			// (replaced by a file since), a file of a package without md5sums,
			// or a conffile recorded as "newconffile". It cannot be verified,
			// and copying it loses nothing.
			modifiedKind()
			it.job = hashSHA256
		default:
			it.job = hashSHA256
		}
		if it.job == hashSHA256 && w.noSHA {
			it.job = hashNone
		}
		if it.job != hashNone {
			it.host = w.t.host(p)
		}
		return w.send(ctx, it)

	case mode&fs.ModeNamedPipe != 0:
		if owned && !own.hasMD5 {
			return nil
		}
		if owned {
			modifiedKind()
		}
		it.e.Kind = KindFIFO
		return w.send(ctx, it)

	default:
		// Sockets belong to running programs; device nodes outside /dev are
		// for chroots and containers: neither goes into an overlay.
		it.skipErr = fmt.Errorf("not archived: %s", mode.Type())
		return w.send(ctx, it)
	}
}

// send queues an item in path order, and for hashing if it needs some.
func (w *walker) send(ctx context.Context, it *item) error {
	if it.job != hashNone && it.skipErr == nil {
		it.done = make(chan struct{})
	}
	select {
	case w.order <- it:
	case <-ctx.Done():
		return ctx.Err()
	}
	if it.done == nil {
		return nil
	}
	select {
	case w.jobs <- it:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
