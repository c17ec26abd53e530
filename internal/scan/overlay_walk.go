package scan

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"syscall"
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
	host    string
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

	walked, excluded int64
}

func (w *walker) walk(ctx context.Context) error {
	info, err := os.Lstat(w.t.root)
	if err != nil {
		return fmt.Errorf("walk: %w", err)
	}
	return w.entry(ctx, "/", info)
}

// dir walks the contents of the directory at p. An unreadable directory is
// reported as skipped; its entry has already been handled.
func (w *walker) dir(ctx context.Context, p string) error {
	names, err := readDirNames(w.t.host(p))
	if err != nil && p == "/" {
		return fmt.Errorf("walk: read scan root: %w", err)
	}
	if err != nil {
		return w.send(ctx, &item{e: Entry{Path: p}, skipErr: fmt.Errorf("read directory: %w", err)})
	}
	return w.children(ctx, p, names)
}

func (w *walker) children(ctx context.Context, dir string, names []string) error {
	for _, name := range names {
		if err := ctx.Err(); err != nil {
			return err
		}
		p := path.Join(dir, name)
		if w.skip[p] {
			w.excluded++
			continue
		}
		info, err := os.Lstat(w.t.host(p))
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue // removed since the directory was read: a live system moves
			}
			if err := w.send(ctx, &item{e: Entry{Path: p}, skipErr: err}); err != nil {
				return err
			}
			continue
		}
		if err := w.entry(ctx, p, info); err != nil {
			return err
		}
	}
	return nil
}

// entry decides what an entry needs: nothing (unchanged package entry), hashing,
// or emission as is; and descends into directories.
func (w *walker) entry(ctx context.Context, p string, info fs.FileInfo) error {
	w.walked++
	it := &item{e: Entry{Path: p, Mode: info.Mode(), ModTime: info.ModTime(), Reason: ReasonAdded}, host: w.t.host(p)}
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		it.e.UID, it.e.GID = int(st.Uid), int(st.Gid)
		it.id, it.nlink = fileID{dev: uint64(st.Dev), ino: st.Ino}, uint64(st.Nlink)
	}
	own, owned := w.idx.paths[p]
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

	switch mode := info.Mode(); {
	case mode.IsDir():
		it.e.Kind = KindDir
		if owned && !own.hasMD5 {
			return w.dir(ctx, p) // package directory: only its contents may differ
		}
		if owned {
			modifiedKind()
		}
		if err := w.send(ctx, it); err != nil {
			return err
		}
		return w.dir(ctx, p)

	case mode&fs.ModeSymlink != 0:
		if owned && !own.hasMD5 {
			return nil
		}
		if owned {
			modifiedKind()
		}
		target, err := os.Readlink(it.host)
		if err != nil {
			it.skipErr = fmt.Errorf("read symlink: %w", err)
		}
		it.e.Kind, it.e.LinkTarget = KindSymlink, target
		return w.send(ctx, it)

	case mode.IsRegular():
		it.e.Kind, it.e.Size = KindFile, info.Size()
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
