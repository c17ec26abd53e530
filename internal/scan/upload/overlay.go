package upload

import (
	"archive/tar"
	"bufio"
	"context"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"strings"
	"time"

	"github.com/kilnhq/kiln/internal/scan"
)

// OverlayOptions tunes WriteOverlay.
type OverlayOptions struct {
	// Exclude are absolute paths of the scanned system left out with their
	// contents (the agent's -e), on top of scan.DefaultExcludes.
	Exclude []string
	// All archives every added and modified entry (the agent's -o). Without it
	// only modified package entries are sent: the rebuild needs them (changed
	// configuration files) even when the user did not ask for an overlay.
	All bool
	// Progress, when set, is told the files and bytes archived so far after each
	// member.
	Progress func(files, bytes int64)
	Logger   *slog.Logger
}

// Stats counts what WriteOverlay archived.
type Stats struct {
	Overlay  scan.OverlayStats `json:"overlay"`  // what the walk found (scan.Overlay's counts)
	Entries  int64             `json:"entries"`  // tar members written
	Files    int64             `json:"files"`    // regular-file members
	Bytes    int64             `json:"bytes"`    // their content
	Filtered int64             `json:"filtered"` // added entries left out without All
	// Skipped are entries gone, replaced or unreadable between the walk and
	// their archiving: a live system changes under the agent.
	Skipped int64 `json:"skipped"`
	// Changed are files whose size changed while they were archived: the member
	// keeps the size of its header (truncated, or padded with zeros), since a
	// short member would corrupt the rest of the tar.
	Changed int64 `json:"changed"`
}

// WriteOverlay walks the system at root with scan.Overlay and writes the
// entries to w as a PAX tar: names relative ("etc/hosts", directories with a
// trailing slash), numeric owners with the scanned system's names, modes with
// setuid/setgid/sticky, mtimes (whole seconds), symlink targets as stored, hard
// links to the first path of their inode, and the security.capability and
// user.* xattrs as SCHILY.xattr records. Contents are streamed from the files;
// w sees each byte once.
//
// Entries that change under it are skipped or, for a file that shrinks or
// grows mid-read, kept at their header's size and counted in Stats.Changed.
// It fails when the walk cannot start, ctx ends, or w fails.
func WriteOverlay(ctx context.Context, w io.Writer, root string, opts OverlayOptions) (Stats, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	sr, err := openScannedRoot(root)
	if err != nil {
		return Stats{}, fmt.Errorf("overlay: %w", err)
	}
	defer sr.Close()
	own, errs := readOwners(sr.dir)
	for _, err := range errs {
		log.Warn("scan: overlay owners archived without names", "err", err)
	}
	// Batching the small writes (headers, small files) matters: w is usually a
	// pipe, where each Write is a hand-off to the uploader's goroutine.
	bw := bufio.NewWriterSize(w, 256<<10)
	a := &archiver{
		ctx: ctx, root: sr, tw: tar.NewWriter(bw), owners: own, all: opts.All, log: log, progress: opts.Progress,
		buf: make([]byte, 256<<10), xbuf: make([]byte, 64<<10),
		written: map[string]bool{}, skipped: map[string]bool{}, moved: map[string]string{},
	}
	a.stats.Overlay, err = scan.Overlay(ctx, sr.dir, scan.OverlayOptions{
		Exclude: opts.Exclude, NoSHA256: true, Logger: log,
	}, a.add)
	if err != nil {
		return a.stats, err
	}
	if err := a.tw.Close(); err != nil {
		return a.stats, fmt.Errorf("overlay: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return a.stats, fmt.Errorf("overlay: %w", err)
	}
	return a.stats, nil
}

// archiver turns overlay entries into tar members.
type archiver struct {
	ctx      context.Context
	root     *scannedRoot
	tw       *tar.Writer
	owners   owners
	all      bool
	log      *slog.Logger
	progress func(files, bytes int64)
	buf      []byte // file copy buffer, reused
	xbuf     []byte // xattr scratch, reused
	stats    Stats

	// Where a hard link's first path went. The walk makes the second path of
	// an inode a link to the first; that first may not be in the archive
	// (filtered out, or skipped), and a link to a missing member would not
	// extract. Without All, written holds the files archived (modified ones:
	// few); with All every file is archived unless in skipped (few). moved
	// records a first path whose content was archived under a link's path.
	written map[string]bool
	skipped map[string]bool
	moved   map[string]string
}

func (a *archiver) add(e scan.Entry) error {
	if !a.all && e.Reason != scan.ReasonModified {
		a.stats.Filtered++
		return nil
	}
	name := strings.TrimLeft(e.Path, "/")
	if name == "" {
		return nil // the root directory itself belongs to the rebuilt system
	}
	hdr := &tar.Header{
		Format: tar.FormatPAX,
		Name:   name,
		Mode:   tarMode(e.Mode),
		Uid:    e.UID, Gid: e.GID,
		Uname: a.owners.users[e.UID], Gname: a.owners.groups[e.GID],
		// Whole seconds: a sub-second mtime costs a PAX header per member, and
		// nothing a rebuilt system runs depends on it.
		ModTime: e.ModTime.Truncate(time.Second),
	}
	var err error
	switch e.Kind {
	case scan.KindDir:
		hdr.Typeflag, hdr.Name = tar.TypeDir, name+"/"
		err = a.writeMeta(e, hdr, true)
	case scan.KindSymlink:
		hdr.Typeflag, hdr.Linkname = tar.TypeSymlink, e.LinkTarget
		err = a.writeMeta(e, hdr, false)
	case scan.KindFIFO:
		hdr.Typeflag = tar.TypeFifo
		err = a.writeMeta(e, hdr, false)
	case scan.KindHardlink:
		if first := a.archivedAs(e.LinkTarget); first != "" {
			hdr.Typeflag, hdr.Linkname = tar.TypeLink, strings.TrimLeft(first, "/")
			err = a.writeMeta(e, hdr, false)
			break
		}
		var ok bool
		if ok, err = a.writeFile(e, hdr); ok {
			a.moved[e.LinkTarget] = e.Path // the inode's content now lives here
		}
	case scan.KindFile:
		_, err = a.writeFile(e, hdr)
	default:
		a.skip(e.Path, fmt.Errorf("kind %s not archived", e.Kind))
	}
	if err != nil {
		return err
	}
	if a.progress != nil {
		a.progress(a.stats.Files, a.stats.Bytes)
	}
	return nil
}

// archivedAs is the member holding the content of the file first archived at p,
// or "" when there is none.
func (a *archiver) archivedAs(p string) string {
	if q, ok := a.moved[p]; ok {
		return q
	}
	if a.all && !a.skipped[p] || a.written[p] {
		return p
	}
	return ""
}

// writeMeta writes a member without content. Directories carry xattrs too.
func (a *archiver) writeMeta(e scan.Entry, hdr *tar.Header, xattrs bool) error {
	if xattrs {
		recs, err := a.root.xattrs(nil, e.Path, a.xbuf)
		if err != nil {
			a.log.Warn("scan: xattrs not archived", "path", e.Path, "err", err)
		}
		hdr.PAXRecords = recs
	}
	if err := a.tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("overlay %s: %w", e.Path, err)
	}
	a.stats.Entries++
	return nil
}

// skip counts an entry that could not be archived.
func (a *archiver) skip(p string, err error) {
	a.stats.Skipped++
	a.log.Warn("scan: entry not archived", "path", p, "err", err)
	if a.all {
		a.skipped[p] = true
	}
}

// tarMode is the POSIX mode of a tar header: permissions and the setuid,
// setgid and sticky bits (fs.FileMode keeps those apart from the permissions).
func tarMode(m fs.FileMode) int64 {
	mode := int64(m.Perm())
	if m&fs.ModeSetuid != 0 {
		mode |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		mode |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		mode |= 0o1000
	}
	return mode
}
