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

	"github.com/kilnhq/kiln/internal/record"
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
	// VerifyAll reads every package file to compare it with dpkg's md5, even
	// those unchanged since their install (scan.OverlayOptions.VerifyAll).
	VerifyAll bool
	// Progress, when set, is told the files and bytes archived so far after each
	// member.
	Progress func(files, bytes int64)
	Logger   *slog.Logger
}

// Stats counts what WriteOverlay archived.
type Stats struct {
	Overlay  record.OverlayStats `json:"overlay"`  // what the walk found (scan.Overlay's counts)
	Entries  int64               `json:"entries"`  // tar members written
	Files    int64               `json:"files"`    // regular-file members
	Bytes    int64               `json:"bytes"`    // their content
	Filtered int64               `json:"filtered"` // added entries left out without All
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
	// The uploader's writer is a buffer already (its chunks); any other w gets
	// the small writes (headers, small files) batched.
	var bw *bufio.Writer
	tw := tar.NewWriter(w)
	chunks, _ := w.(*chunkWriter)
	if chunks == nil {
		bw = bufio.NewWriterSize(w, 256<<10)
		tw = tar.NewWriter(bw)
	}
	a := &archiver{
		ctx: ctx, root: sr, tw: tw, chunks: chunks, owners: own, all: opts.All, log: log, progress: opts.Progress,
		buf: make([]byte, 256<<10), xbuf: make([]byte, 64<<10),
		written: map[string]bool{}, skipped: map[string]bool{}, moved: map[string]string{},
	}
	a.startWriter()
	a.stats.Overlay, err = scan.Overlay(ctx, sr.dir, scan.OverlayOptions{
		Exclude: opts.Exclude, NoSHA256: true, VerifyAll: opts.VerifyAll, Logger: log,
	}, a.add)
	if werr := a.stopWriter(); err == nil {
		err = werr
	}
	if err != nil {
		return a.stats, err
	}
	if err := a.tw.Close(); err != nil {
		return a.stats, fmt.Errorf("overlay: %w", err)
	}
	if bw != nil {
		if err := bw.Flush(); err != nil {
			return a.stats, fmt.Errorf("overlay: %w", err)
		}
	}
	return a.stats, nil
}

// archiver turns overlay entries into tar members.
type archiver struct {
	ctx      context.Context
	root     *scannedRoot
	tw       *tar.Writer
	chunks   *chunkWriter // what tw writes to, when it is the uploader's (see copyContent)
	owners   owners
	all      bool
	log      *slog.Logger
	progress func(files, bytes int64)
	buf      []byte // file copy buffer, reused
	xbuf     []byte // xattr scratch, reused
	stats    Stats  // Entries, Files, Bytes, Changed: the writer's; the rest add's

	// The members go in two stages, each in a goroutine of its own: add (the
	// walk's callback) opens each file, reads its metadata and makes its
	// header; the writer (writeMember) writes headers and contents into tw,
	// in the same order. Each stage is about half of the per-file system
	// calls, so the two overlap. queue holds the members in between (and
	// their open files: at most its capacity); nil means add writes them
	// itself. failed is closed when the writer has failed, with werr.
	queue  chan tarMember
	failed chan struct{}
	wdone  chan struct{}
	werr   error

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
	return err
}

// tarMember is a tar member on its way from add to the writer: its header, and
// for a regular file the open file to copy (the writer closes it).
type tarMember struct {
	hdr  *tar.Header
	f    *rawFile
	path string
}

const memberQueue = 64

func (a *archiver) startWriter() {
	a.queue = make(chan tarMember, memberQueue)
	a.failed = make(chan struct{})
	a.wdone = make(chan struct{})
	go func() {
		defer close(a.wdone)
		for m := range a.queue {
			if a.werr != nil {
				m.close()
				continue
			}
			if err := a.writeMember(m); err != nil {
				a.werr = err
				close(a.failed)
			}
		}
	}()
}

// stopWriter waits for the writer to write what is queued; its error.
func (a *archiver) stopWriter() error {
	if a.queue == nil {
		return nil
	}
	close(a.queue)
	<-a.wdone
	a.queue = nil
	return a.werr
}

func (m tarMember) close() {
	if m.f != nil {
		m.f.Close()
	}
}

// emit passes a member to the writer (or writes it, without one).
func (a *archiver) emit(m tarMember) error {
	if a.queue == nil {
		return a.writeMember(m)
	}
	select {
	case a.queue <- m:
		return nil
	case <-a.failed:
		m.close()
		return a.werr
	case <-a.ctx.Done():
		m.close()
		return a.ctx.Err()
	}
}

// writeMember writes a member's header and content, and counts it.
func (a *archiver) writeMember(m tarMember) error {
	defer m.close()
	if err := a.tw.WriteHeader(m.hdr); err != nil {
		return fmt.Errorf("overlay %s: %w", m.path, err)
	}
	a.stats.Entries++
	if m.f != nil {
		changed, err := a.copyContent(m.f, m.hdr.Size)
		if err != nil {
			return fmt.Errorf("overlay %s: %w", m.path, err)
		}
		if changed != nil {
			a.stats.Changed++
			a.log.Warn("scan: file changed while archived; member kept at its header's size", "path", m.path, "size", m.hdr.Size, "why", changed)
		}
		a.stats.Files++
		a.stats.Bytes += m.hdr.Size
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
	return a.emit(tarMember{hdr: hdr, path: e.Path})
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
