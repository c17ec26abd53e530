package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strconv"
	"strings"

	"github.com/klauspost/compress/gzip"

	"github.com/kilnhq/kiln/internal/overlay"
	"github.com/kilnhq/kiln/internal/store"
	"github.com/kilnhq/kiln/internal/uforge"
)

// maxListedFiles bounds a scanFile_getAll answer; dir narrows it.
const maxListedFiles = 10000

// A scan's file list is written once, while its overlay is checked at
// upload, and kept next to it in the artifact store: listing the files then
// reads a small compressed index instead of decompressing and hashing the
// whole overlay on every request.

// fileIndexKey is where scan scanID's file list is kept.
func fileIndexKey(scanID int64) string { return fmt.Sprintf("scans/%d/files.jsonl.gz", scanID) }

// fileIndex writes a file list: one overlay.Entry a line, JSON, gzipped.
type fileIndex struct {
	f   *os.File
	zw  *gzip.Writer
	enc *json.Encoder
}

func newFileIndex(path string) (*fileIndex, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("file list: %w", err)
	}
	zw, err := gzip.NewWriterLevel(f, gzip.BestSpeed)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("file list: %w", err)
	}
	return &fileIndex{f: f, zw: zw, enc: json.NewEncoder(zw)}, nil
}

// add records one member; overlay.Check calls it for each. Extended
// attributes (up to 64 KiB each) are not listed: they are left out.
func (x *fileIndex) add(e overlay.Entry) error {
	e.Xattrs = nil
	return x.enc.Encode(e)
}

// close finishes the file; discard removes it (it is kept only once stored).
func (x *fileIndex) close() error {
	return errors.Join(x.zw.Close(), x.f.Close())
}

func (x *fileIndex) discard() {
	_ = x.close()
	_ = os.Remove(x.f.Name())
}

// indexPath is where scan scanID's file list is written before it is stored.
func (s *Scans) indexPath(scanID int64) string { return s.uploadPath(scanID) + ".files" }

// storeFileIndex moves a finished file list into the artifact store.
func (s *Scans) storeFileIndex(ctx context.Context, scanID int64, x *fileIndex) error {
	if err := x.close(); err != nil {
		_ = os.Remove(x.f.Name())
		return fmt.Errorf("file list of scan %d: %w", scanID, err)
	}
	if _, _, err := s.artifacts.PutFile(ctx, fileIndexKey(scanID), x.f.Name(), ""); err != nil {
		_ = os.Remove(x.f.Name())
		return fmt.Errorf("store file list of scan %d: %w", scanID, err)
	}
	return nil
}

// openFileIndex opens the file list of a complete scan. A scan uploaded
// before Kiln kept file lists has none: its list is made from the overlay,
// once, and kept.
func (s *Scans) openFileIndex(ctx context.Context, sc *store.Scan) (Artifact, error) {
	a, err := s.artifacts.Open(ctx, fileIndexKey(sc.ID))
	if err == nil {
		return a, nil
	}
	s.log.Info("making the file list of a scan from its overlay", "scan", sc.ID, "reason", err)
	ov, err := s.artifacts.Open(ctx, sc.OverlayKey)
	if err != nil {
		return nil, fmt.Errorf("overlay of scan %d: %w", sc.ID, err)
	}
	defer ov.Close()
	if err := os.MkdirAll(s.cfg.UploadDir, 0o700); err != nil {
		return nil, err
	}
	x, err := newFileIndex(s.indexPath(sc.ID))
	if err != nil {
		return nil, err
	}
	if _, err := overlay.Check(ctx, ov, s.overlayLimits(), x.add); err != nil {
		x.discard()
		return nil, fmt.Errorf("list overlay of scan %d: %w", sc.ID, err)
	}
	if err := s.storeFileIndex(ctx, sc.ID, x); err != nil {
		return nil, err
	}
	return s.artifacts.Open(ctx, fileIndexKey(sc.ID))
}

// ScanFiles lists the overlay of a complete scan (scanFile_getAll): the files
// no package provides unchanged, under dir when given (one level with
// rellevel=1), at most maxListedFiles of them, read from the scan's file list.
func (s *Scans) ScanFiles(ctx context.Context, p *Principal, uid string, siid, sid int64, dir string, oneLevel bool) (*uforge.ScannedFiles, error) {
	_, _, sc, err := s.ownedScan(ctx, p, uid, siid, sid)
	if err != nil {
		return nil, err
	}
	if sc.OverlayKey == "" {
		return nil, conflict("overlay.notReady", "scan %d has no complete overlay (it is %s)", sc.ID, sc.State)
	}
	a, err := s.openFileIndex(ctx, sc)
	if err != nil {
		return nil, err
	}
	defer a.Close()
	zr, err := gzip.NewReader(a)
	if err != nil {
		return nil, fmt.Errorf("file list of scan %d: %w", sid, err)
	}
	dir = "/" + strings.Trim(dir, "/")
	out := &uforge.ScannedFiles{ScannedFiles: []uforge.ScannedFile{}}
	var total int64
	dec := json.NewDecoder(zr)
	for {
		var e overlay.Entry
		if err := dec.Decode(&e); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("file list of scan %d: %w", sid, err)
		}
		if !under(e.Path, dir, oneLevel) {
			continue
		}
		total++
		if len(out.ScannedFiles) < maxListedFiles {
			out.ScannedFiles = append(out.ScannedFiles, scannedFile(&e, siid))
		}
	}
	out.Total = new(total)
	return out, nil
}

func scannedFile(e *overlay.Entry, siid int64) uforge.ScannedFile {
	f := uforge.ScannedFile{FileEntry: uforge.FileEntry{
		FullPath: new(e.Path), Name: new(path.Base(e.Path)), Directory: new(e.Kind == overlay.KindDir),
		Owner: new(owner(e.Uname, e.UID)), Group: new(owner(e.Gname, e.GID)),
		Permissions: new(fmt.Sprintf("%04o", e.Mode&0o7777)), Size: new(e.Size), ScannedInstanceID: new(siid),
	}, ChangeType: new("added"), Uploaded: new(true)}
	if e.SHA256 != "" {
		f.Checksum = new(e.SHA256)
	}
	if e.LinkTarget != "" {
		f.LinkTarget = new(e.LinkTarget)
	}
	return f
}

// under reports whether p is below dir (directly, when oneLevel).
func under(p, dir string, oneLevel bool) bool {
	if dir == "/" {
		return !oneLevel || !strings.Contains(strings.TrimPrefix(p, "/"), "/")
	}
	if !strings.HasPrefix(p, dir+"/") {
		return false
	}
	return !oneLevel || !strings.Contains(p[len(dir)+1:], "/")
}

// owner names an owner by name when the archive had one.
func owner(name string, id int) string {
	if name != "" {
		return name
	}
	return strconv.Itoa(id)
}
