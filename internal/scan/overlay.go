package scan

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/kilnhq/kiln/internal/record"
)

// Kind is the type of an overlay entry.
type Kind uint8

const (
	KindFile Kind = iota + 1
	KindDir
	KindSymlink
	// KindHardlink is a regular file whose inode an earlier entry of the same
	// overlay already carries; LinkTarget is that entry's path.
	KindHardlink
	KindFIFO
)

func (k Kind) String() string {
	switch k {
	case KindFile:
		return "file"
	case KindDir:
		return "dir"
	case KindSymlink:
		return "symlink"
	case KindHardlink:
		return "hardlink"
	case KindFIFO:
		return "fifo"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// MarshalText makes kinds readable in JSON.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// Reason says why an entry is in the overlay.
type Reason uint8

const (
	// ReasonAdded: no installed package provides the path (or only an obsolete
	// conffile records it).
	ReasonAdded Reason = iota + 1
	// ReasonModified: a package provides the path, but the entry differs from
	// what it installed (content, or a different kind of entry).
	ReasonModified
)

func (r Reason) String() string {
	switch r {
	case ReasonAdded:
		return "added"
	case ReasonModified:
		return "modified"
	}
	return fmt.Sprintf("reason(%d)", uint8(r))
}

// MarshalText makes reasons readable in JSON.
func (r Reason) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// Entry is one filesystem entry of the overlay.
type Entry struct {
	// Path is absolute inside the scanned system ("/etc/hosts"). It is the
	// name's raw bytes: not necessarily UTF-8, possibly with a newline.
	Path       string      `json:"path"`
	Kind       Kind        `json:"kind"`
	Mode       fs.FileMode `json:"mode"` // type, permission, setuid/setgid/sticky bits
	UID        int         `json:"uid"`
	GID        int         `json:"gid"`
	Size       int64       `json:"size"` // regular files and hard links
	ModTime    time.Time   `json:"modTime"`
	LinkTarget string      `json:"linkTarget,omitempty"` // symlink target as stored, or the path a hard link shares its inode with
	Reason     Reason      `json:"reason"`
	Package    string      `json:"package,omitempty"` // owner of a modified (or obsolete) package path
	SHA256     string      `json:"sha256,omitempty"`  // regular files, hex; empty with NoSHA256
}

// HostPath is where the entry of a scan of root is on the scanning host.
func HostPath(root, p string) string {
	return filepath.Join(root, filepath.FromSlash(p))
}

// OverlayOptions tunes Overlay.
type OverlayOptions struct {
	// Exclude are paths inside the scanned system left out with everything
	// below them (the agent's -e). Each must be absolute.
	Exclude []string
	// Workers hash files in parallel; 0 means GOMAXPROCS (at most 4: hashing is
	// bounded by the disk beyond that).
	Workers int
	// NoSHA256 leaves Entry.SHA256 empty, for a caller that hashes while it
	// archives. Package files are still read to compare them with dpkg's md5.
	NoSHA256 bool
	// VerifyAll reads and compares every package file with dpkg's md5, even
	// one whose inode has not changed since dpkg installed its package (its
	// ctime is before the package's file list was written; see
	// owner.untouchedSince). For filesystems whose ctimes cannot be trusted.
	VerifyAll bool
	// OnSkip, when set, is told about each entry left out because it could not be
	// read or archived (called from Overlay's goroutine, in path order).
	OnSkip func(path string, err error)
	Logger *slog.Logger
}

// DefaultExcludes are the paths every overlay leaves out, with why:
//   - kernel and runtime views, scratch space, and what is recreated at boot:
//     /proc /sys /dev /run /tmp /var/tmp /lost+found /var/log/journal;
//   - state the rebuild regenerates by installing the same packages: the dpkg
//     database itself, apt's lists and caches;
//   - identity that must be unique per machine: /etc/machine-id and D-Bus's copy
//     (systemd creates a fresh one at first boot).
func DefaultExcludes() []string {
	return []string{
		"/dev", "/lost+found", "/proc", "/run", "/sys", "/tmp",
		"/etc/machine-id", "/var/lib/dbus/machine-id",
		"/var/cache/apt", "/var/lib/apt/lists", "/var/lib/dpkg",
		"/var/log/journal", "/var/tmp",
	}
}

// Overlay streams to fn every entry of the system at root that installing its
// packages afresh would not reproduce: entries no installed package provides
// (ReasonAdded), and package files whose content differs from dpkg's record
// (ReasonModified). Package-owned directories and symlinks count as unchanged:
// dpkg records neither modes nor link targets. A package file whose inode has
// not changed since dpkg installed it is not read at all (owner.untouchedSince
// says why that is sound and which files are read anyway; VerifyAll reads
// them all).
//
// Entries come in a deterministic order: depth first, each directory's names
// sorted bytewise, a directory before its contents. Symlinks are never followed;
// on a live scan (root "/") mount points other than the fstab disk filesystems
// are not entered. Files are hashed by a small worker pool; emission stays
// ordered. Memory is bounded by the package index, the names of the largest
// directory and a fixed window of entries in flight, whatever the tree's size.
//
// An entry that cannot be read is skipped and counted, not fatal. Overlay fails
// when the dpkg database or root cannot be read, ctx ends, or fn returns an error.
func Overlay(ctx context.Context, root string, opts OverlayOptions, fn func(Entry) error) (record.OverlayStats, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	t, err := newTree(root)
	if err != nil {
		return record.OverlayStats{}, fmt.Errorf("overlay: %w", err)
	}
	idx, err := loadPkgIndex(ctx, t)
	if err != nil {
		return record.OverlayStats{}, fmt.Errorf("overlay: %w", err)
	}
	for _, p := range idx.problems {
		log.Warn("scan: package files counted as added", "problem", p)
	}
	skip, err := overlaySkips(t, opts.Exclude, log)
	if err != nil {
		return record.OverlayStats{}, fmt.Errorf("overlay: %w", err)
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = min(runtime.GOMAXPROCS(0), 4)
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	order := make(chan *item, 512) // the window of entries in flight, in path order
	jobs := make(chan *item, 2*workers)
	w := &walker{t: t, idx: idx, skip: skip, order: order, jobs: jobs, noSHA: opts.NoSHA256, verifyAll: opts.VerifyAll}
	var wg sync.WaitGroup
	var walkErr error
	wg.Go(func() {
		defer close(order)
		defer close(jobs)
		walkErr = w.walk(ctx)
	})
	for range workers {
		wg.Go(func() {
			h := newHasher()
			for it := range jobs {
				h.do(ctx, it, opts.NoSHA256)
				close(it.done)
			}
		})
	}

	e := &emitter{fn: fn, onSkip: opts.OnSkip, log: log, links: map[fileID]*Entry{}}
	emitErr := e.run(ctx, order)
	cancel() // stops the walker and the workers when emission ended early
	wg.Wait()
	e.stats.Walked, e.stats.Excluded, e.stats.Untouched = w.walked, w.excluded, w.untouched
	switch {
	case emitErr != nil:
		return e.stats, emitErr
	case walkErr != nil:
		return e.stats, fmt.Errorf("overlay: %w", walkErr)
	}
	return e.stats, nil
}

// overlaySkips is the set of in-tree paths not entered: the defaults, the
// caller's excludes and swap files, all canonical (an exclude given through a
// symlinked directory, "/bin/x" on merged /usr, still applies), and on a live
// scan the mount points that are not fstab disk filesystems.
func overlaySkips(t *tree, exclude []string, log *slog.Logger) (map[string]bool, error) {
	var n notes
	canon := &indexBuilder{t: t, dirs: map[string]string{}}
	skip := map[string]bool{}
	for _, p := range DefaultExcludes() {
		skip[canon.canonical(p)] = true
	}
	for _, p := range exclude {
		if !strings.HasPrefix(p, "/") {
			return nil, fmt.Errorf("exclude %q: not an absolute path", p)
		}
		skip[canon.canonical(p)] = true
	}
	for _, p := range swapFiles(t, &n) {
		skip[canon.canonical(p)] = true
	}
	if t.live {
		keep := map[string]bool{"/": true}
		for _, e := range readFstab(t, &n) {
			if diskFilesystem(e.FSType) {
				keep[e.MountPoint] = true
			}
		}
		mounts, err := readMountinfo()
		if err != nil {
			return nil, err
		}
		for _, m := range mounts {
			if !keep[m.MountPoint] && m.MountPoint != "/" {
				skip[path.Clean(m.MountPoint)] = true
			}
		}
	}
	for _, msg := range n.list {
		log.Debug("scan: overlay exclusions", "note", msg)
	}
	return skip, nil
}
