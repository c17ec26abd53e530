package overlay

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/kilnhq/kiln/internal/treefs"
)

// ApplyOptions tunes Apply.
type ApplyOptions struct {
	// Skip, when set, names members not to apply: a member is skipped when
	// Skip returns true for its path or for any of its parents, so skipping
	// a directory skips everything below it. It is asked about the
	// archive's paths ("/etc/passwd"), not where they resolve in the tree.
	// DefaultSkip is the usual choice; nil applies everything.
	Skip func(path string) bool
	// Owners maps a member's owner to the tree's; nil keeps the numbers.
	// OwnersByName maps by name, as tar does.
	Owners func(uname, gname string, uid, gid int) (int, int)
	Limits Limits
}

// ApplyResult counts what Apply did.
type ApplyResult struct {
	// Applied members are in the tree as the archive describes them.
	Applied int64
	// Skipped members were left to the tree: refused by Skip, hard links to
	// a skipped file, the archive's root directory (the tree's root belongs
	// to the build), and directories where the tree has a symlink to a
	// directory (merged /usr's /lib: the link stays).
	Skipped int64
	// Replaced counts the applied members that took the place of something
	// else in the tree: a file, symlink or pipe, or an empty directory.
	Replaced int64
	// Summary describes the archive as read, digest included.
	Summary Summary
}

// Apply lays the overlay archive r over the tree at root, checking it as
// Check does while it goes: the first refused member stops it with an error
// wrapping ErrRejected.
//
// Nothing is ever written outside root. Each member's parents are resolved
// inside root as a chroot would (see internal/treefs): merged /usr's
// bin -> usr/bin takes "bin/x" to usr/bin/x, and a symlink pointing out of
// the tree leads back into it. Missing parents are created 0755, owned by
// root. A member never writes through what the tree has: files, symlinks,
// hard links and pipes are made under a temporary name next to their
// target and renamed over it, so an existing file and any other link to
// its inode (the tree shares inodes with the base cache) stay untouched.
// Hard links are made only to the file this archive extracted.
//
// Where the tree has a directory and the archive something else, an empty
// directory is replaced and a non-empty one is an error wrapping
// ErrConflict: silently dropping either side would lose data. Where the tree
// has something else and the archive a directory, the directory wins,
// except that a symlink leading (inside root) to a directory is kept. An
// existing directory takes the member's owner, mode and attributes.
//
// Files get their mode (setuid, setgid and sticky included), owner (through
// Owners), modification time and kept extended attributes; directories the
// same but the time, which the members applied below them change anyway;
// symlinks their owner and time. Apply must run as root to set owners and
// file capabilities.
//
// On error the tree may hold the members applied before the failing one:
// the generation discards the tree then. ctx is checked between chunks
// and members.
func Apply(ctx context.Context, r io.Reader, root string, opts ApplyOptions) (ApplyResult, error) {
	var res ApplyResult
	tree, err := treefs.Open(root)
	if err != nil {
		return res, fmt.Errorf("apply overlay: %w", err)
	}
	defer tree.Close()
	w := tree.Walker()
	defer w.Close()
	rd, err := newReader(ctx, r, opts.Limits)
	if err != nil {
		return res, err
	}
	a := &applier{rd: rd, tree: tree, w: w, opts: opts, res: &res, inodes: make(map[pathKey]uint64)}
	for {
		e, err := rd.next()
		if err == nil {
			err = a.apply(e)
		}
		if err != nil {
			res.Summary = rd.sum
			if err == io.EOF {
				return res, nil
			}
			return res, err
		}
	}
}

// applier applies one archive's members.
type applier struct {
	rd   *reader
	tree *treefs.Root
	w    *treefs.Walker // the members' parents, resolved in tree order
	opts ApplyOptions
	res  *ApplyResult
	// inodes are the inode numbers of the files extracted so far, by path
	// key, so that a hard link is made to that very file and never to one
	// of the tree's, whatever symlink games the archive played meanwhile.
	inodes map[pathKey]uint64
	// stale says the member replaced a symlink or directory, which may
	// change where the cached parents resolve: the cache is dropped once
	// the member is done with its parent's descriptor.
	stale bool
}

func (a *applier) apply(e *Entry) error {
	switch {
	case e.Path == "/",
		a.skipped(e.Path),
		e.Kind == KindHardlink && a.skipped(e.LinkTarget):
		a.res.Skipped++
		return nil // next skips a file's content
	}
	dir, name := splitPath(e.Path)
	pfd, prel, err := a.w.Dir(dir)
	if errors.Is(err, treefs.ErrConflict) {
		return fmt.Errorf("apply %q: parent: %w: %w", e.Path, ErrConflict, err)
	}
	if err != nil {
		return fmt.Errorf("apply %q: parent: %w", e.Path, err)
	}
	kept := false
	switch e.Kind {
	case KindFile:
		err = a.file(e, pfd, name)
	case KindDir:
		kept, err = a.dir(e, pfd, prel, name)
	case KindSymlink:
		err = a.symlink(e, pfd, name)
	case KindHardlink:
		err = a.hardlink(e, pfd, name)
	case KindFIFO:
		err = a.fifo(e, pfd, name)
	}
	if a.stale {
		a.w.Forget()
		a.stale = false
	}
	if err != nil {
		return fmt.Errorf("apply %q: %w", e.Path, err)
	}
	if kept {
		a.res.Skipped++
	} else {
		a.res.Applied++
	}
	return nil
}

// skipped asks opts.Skip about p and each of its parents.
func (a *applier) skipped(p string) bool {
	if a.opts.Skip == nil {
		return false
	}
	if a.opts.Skip(p) {
		return true
	}
	return !parents(p, func(parent string) bool { return !a.opts.Skip(parent) })
}

func (a *applier) owner(e *Entry) (int, int) {
	if a.opts.Owners == nil {
		return e.UID, e.GID
	}
	return a.opts.Owners(e.Uname, e.Gname, e.UID, e.GID)
}
