package overlay

import (
	"errors"
	"time"
)

// ErrRejected is wrapped by every error that refuses an archive: a hostile or
// malformed member, a limit exceeded, a stream that is not a complete tar.
var ErrRejected = errors.New("overlay rejected")

// ErrConflict is wrapped when Apply cannot lay a valid member over the tree
// as it is: a file over a non-empty directory, a parent that is a file in
// the tree, a parent symlink leading to nothing, a mount point on the way.
var ErrConflict = errors.New("overlay conflicts with the tree")

// Kinds of entry, as in Entry.Kind (and as the scan agent names them).
const (
	KindFile     = "file"
	KindDir      = "dir"
	KindSymlink  = "symlink"
	KindHardlink = "hardlink"
	KindFIFO     = "fifo"
)

// Entry is one member of an overlay, validated.
type Entry struct {
	// Path is absolute and clean inside the scanned system ("/etc/hosts");
	// "/" only for the archive's own root directory ("./").
	Path string `json:"path"`
	Kind string `json:"kind"`
	// Mode holds the permission bits with setuid, setgid and sticky (07777).
	Mode  uint32 `json:"mode"`
	UID   int    `json:"uid"`
	GID   int    `json:"gid"`
	Uname string `json:"uname,omitempty"`
	Gname string `json:"gname,omitempty"`
	// Size is the content size of a regular file, 0 for every other kind
	// (a hard link's content is its target's).
	Size    int64     `json:"size"`
	ModTime time.Time `json:"modTime"`
	// LinkTarget is a symlink's target as stored, or for a hard link the
	// Path of the earlier entry it shares its inode with.
	LinkTarget string `json:"linkTarget,omitempty"`
	// SHA256 is the hex digest of a regular file's content.
	SHA256 string `json:"sha256,omitempty"`
	// Xattrs are the kept extended attributes (security.capability, user.*)
	// of a file or directory, by attribute name.
	Xattrs map[string][]byte `json:"xattrs,omitempty"`
}

// Summary describes an archive read to its end.
type Summary struct {
	Entries   int64 `json:"entries"`
	Files     int64 `json:"files"`
	Dirs      int64 `json:"dirs"`
	Symlinks  int64 `json:"symlinks"`
	Hardlinks int64 `json:"hardlinks"`
	FIFOs     int64 `json:"fifos"`
	// Bytes is the total content of the regular files, as in
	// tartree.Stats and record.OverlayStats.
	Bytes int64 `json:"bytes"`
	// TarBytes is the size of the uncompressed tar stream, end-of-archive
	// marker and padding included: what Limits.MaxBytes bounds.
	TarBytes int64 `json:"tarBytes"`
	// StreamBytes and SHA256 describe the bytes read from the caller's
	// reader, compressed when Gzip: the stored object's size and digest.
	StreamBytes int64  `json:"streamBytes"`
	SHA256      string `json:"sha256"`
	Gzip        bool   `json:"gzip,omitempty"`
}

// Limits bound what one archive may make a reader consume. A field that is
// zero or negative takes its DefaultLimits value.
type Limits struct {
	// MaxBytes bounds the uncompressed tar stream, counted as it is read.
	// The compressed stream, when there is one, may exceed it only by
	// deflate's framing overhead.
	MaxBytes int64
	// MaxEntries bounds the number of members.
	MaxEntries int64
	// MaxFileBytes bounds each regular file.
	MaxFileBytes int64
	// MaxRatio bounds how much a gzip stream may expand: once the tar read
	// passes RatioFloor bytes, it may be at most MaxRatio times the
	// compressed bytes read so far. Real files rarely compress 10:1; a
	// stream of zeros compresses 1000:1, and would make a small upload
	// cost every reader (the check, the file list, each build) gigabytes.
	MaxRatio int64
	// RatioFloor is the tar size below which any ratio is accepted, so that
	// a small archive of text is never taken for a bomb.
	RatioFloor int64
}

// DefaultLimits are generous for a real machine's overlay (which rarely
// exceeds a few GiB and a few hundred thousand entries) while bounding the
// disk an upload can fill and the memory of the member index: 25 to 40
// bytes per member (up to 200 MB at 5M members), and for Apply about as
// much again per regular file.
func DefaultLimits() Limits {
	return Limits{
		MaxBytes:     64 << 30,
		MaxEntries:   5_000_000,
		MaxFileBytes: 32 << 30,
		MaxRatio:     100,
		RatioFloor:   64 << 20,
	}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxBytes <= 0 {
		l.MaxBytes = d.MaxBytes
	}
	if l.MaxEntries <= 0 {
		l.MaxEntries = d.MaxEntries
	}
	if l.MaxFileBytes <= 0 {
		l.MaxFileBytes = d.MaxFileBytes
	}
	if l.MaxRatio <= 0 {
		l.MaxRatio = d.MaxRatio
	}
	if l.RatioFloor <= 0 {
		l.RatioFloor = d.RatioFloor
	}
	return l
}
