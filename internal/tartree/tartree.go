// Package tartree writes a directory tree, typically a Debian root
// filesystem, as a tar stream that keeps everything a system needs to run:
// numeric owners, permission bits including setuid/setgid/sticky, hard links,
// symbolic links, file capabilities and user extended attributes.
//
// Member names are relative and carry no leading "./" or "/" ("etc/passwd",
// directories end in "/"), which is what OCI/Docker layers and the LXD/Incus
// unified tarball expect. The root directory itself is written only when a
// Prefix is given (as the Prefix, e.g. "rootfs/"), so that its mode and owner
// travel with it; a layer (Prefix "") has no entry for its root, as in the
// layers Docker and BuildKit produce.
//
// The order is deterministic (names sorted bytewise, each directory before its
// contents) so the same tree and Options give the same bytes.
package tartree

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
	"time"
)

// Options tunes what Write puts in the stream.
type Options struct {
	// Prefix is prepended to every member name ("rootfs/" for LXD). It is
	// made relative and given a trailing "/"; "" writes names such as
	// "etc/passwd".
	Prefix string
	// Exclude, when set, is asked about every entry below the root. rel is
	// the path from the root in "/etc/x" form. Excluding a directory excludes
	// everything below it.
	Exclude func(rel string, d fs.DirEntry) bool
	// ModTime, when non-zero, clamps modification times: no member is newer
	// than it, so rebuilding the same tree later gives the same stream.
	ModTime time.Time
	// Devices keeps character and block devices and FIFOs. Containers do
	// not want them (the runtime provides /dev), so they are skipped by
	// default. Sockets are always skipped: they cannot be archived.
	Devices bool
	// Progress, when set, receives the file bytes written so far and the
	// total of the (filtered) tree, measured by a metadata-only pre-walk.
	Progress func(doneBytes, totalBytes int64)
}

// Stats describes what was written.
type Stats struct {
	// Files is the number of members written: regular files, directories,
	// links and special files alike.
	Files int64
	// Bytes is the size of the regular-file contents written.
	Bytes int64
}

// Write writes the tree under root to w as a complete PAX tar stream,
// end-of-archive marker included. It does not close w.
func Write(ctx context.Context, w io.Writer, root string, opts Options) (Stats, error) {
	tw := tar.NewWriter(w)
	st, err := Append(ctx, tw, root, opts)
	if err != nil {
		return st, err
	}
	if err := tw.Close(); err != nil {
		return st, fmt.Errorf("finish tar of %s: %w", root, err)
	}
	return st, nil
}

// Append writes the tree under root as members of tw and leaves tw open, so
// that callers can put other members before or after the tree (the LXD
// metadata, for example).
func Append(ctx context.Context, tw *tar.Writer, root string, opts Options) (Stats, error) {
	e := &emitter{
		tw:     tw,
		root:   root,
		prefix: normalizePrefix(opts.Prefix),
		opts:   opts,
		links:  make(map[inode]string),
		buf:    make([]byte, copyBufSize),
	}
	if opts.Progress != nil {
		total, err := measure(ctx, root, opts)
		if err != nil {
			return Stats{}, err
		}
		e.progress = &progress{fn: opts.Progress, total: total}
		e.progress.report(0, true)
	}
	if err := e.emitRoot(); err != nil {
		return e.stats, err
	}
	if err := walk(ctx, root, opts.Exclude, e.emit); err != nil {
		return e.stats, err
	}
	if e.progress != nil {
		e.progress.report(e.stats.Bytes, true)
	}
	return e.stats, nil
}

// normalizePrefix turns "rootfs", "/rootfs" or "./rootfs/" into "rootfs/"
// and "", "." or "/" into "".
func normalizePrefix(p string) string {
	p = strings.Trim(path.Clean("/"+p), "/")
	if p == "" {
		return ""
	}
	return p + "/"
}
