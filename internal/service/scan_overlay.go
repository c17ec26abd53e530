package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/kilnhq/kiln/internal/overlay"
	"github.com/kilnhq/kiln/internal/store"
)

// MaxChunkBytes bounds one overlay chunk request (the agent sends 8 MiB).
const MaxChunkBytes = 256 << 20

// OverlayChunk describes one overlay upload request.
type OverlayChunk struct {
	// Offset is where the body goes in the archive; -1 means the body is the
	// whole archive (scanOverlay_upload), which completes the scan.
	Offset   int64
	CRC      string // CRC-32 (IEEE) of the body, hexadecimal; optional
	Complete bool   // the last chunk: check the archive and complete the scan
	Size     int64  // with Complete: the archive's total size (0: not checked)
	SHA256   string // with Complete: the archive's SHA-256 (empty: not checked)
}

// uploadLocks serialises the chunks of one scan: two agents (or a retry
// racing its original) must not append at the same time.
type uploadLocks struct {
	mu    sync.Mutex
	scans map[int64]*sync.Mutex
}

func (l *uploadLocks) lock(id int64) func() {
	l.mu.Lock()
	if l.scans == nil {
		l.scans = map[int64]*sync.Mutex{}
	}
	m, ok := l.scans[id]
	if !ok {
		m = &sync.Mutex{}
		l.scans[id] = m
	}
	l.mu.Unlock()
	m.Lock()
	return m.Unlock
}

func (s *Scans) uploadPath(scanID int64) string {
	return filepath.Join(s.cfg.UploadDir, fmt.Sprintf("scan-%d.tar.part", scanID))
}

// discardUpload removes what a scan's upload left in UploadDir: the partial
// archive, and a file list a crash interrupted.
func (s *Scans) discardUpload(scanID int64) {
	_ = os.Remove(s.uploadPath(scanID))
	_ = os.Remove(s.indexPath(scanID))
}

// OverlayReceived returns how many bytes of a scan's overlay the server holds:
// where a resumed upload continues.
func (s *Scans) OverlayReceived(ctx context.Context, p *Principal, uid string, siid, sid int64) (int64, error) {
	_, _, sc, err := s.ownedScan(ctx, p, uid, siid, sid)
	if err != nil {
		return 0, err
	}
	if sc.OverlayKey != "" {
		return sc.OverlaySize, nil
	}
	st, err := os.Stat(s.uploadPath(sc.ID))
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

// ReceiveOverlay stores one chunk of a scan's overlay (scanOverlay_upload and
// its chunked variant). It returns the bytes held afterwards, which the API
// sends back so that an agent can resume. A chunk at an offset already
// received is accepted again without being written (a retry whose answer was
// lost); one beyond the received size is a conflict. The last chunk makes
// the server check the whole archive (paths, links, devices, sizes) and, if
// it passes, store it and complete the scan; if not, the scan fails.
func (s *Scans) ReceiveOverlay(ctx context.Context, p *Principal, uid string, siid, sid int64, c OverlayChunk, body io.Reader) (int64, error) {
	u, _, sc, err := s.ownedScan(ctx, p, uid, siid, sid)
	if err != nil {
		return 0, err
	}
	unlock := s.uploadLocks.lock(sc.ID)
	defer unlock()
	if sc, err = s.store.GetScan(ctx, sc.ID); err != nil { // the state may have changed while waiting
		return 0, err
	}
	if sc.Terminal() {
		return sc.OverlaySize, conflict("scan.terminal", "scan %d is %s: it takes no more overlay data", sc.ID, sc.State)
	}
	path := s.uploadPath(sc.ID)
	if err := os.MkdirAll(s.cfg.UploadDir, 0o700); err != nil {
		return 0, err
	}
	flags := os.O_CREATE | os.O_RDWR
	if c.Offset < 0 {
		flags |= os.O_TRUNC
		c.Offset, c.Complete = 0, true
	}
	f, err := os.OpenFile(path, flags, 0o600)
	if err != nil {
		return 0, fmt.Errorf("overlay upload: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	held := st.Size()
	quota, err := s.diskQuota(ctx, u)
	if err != nil {
		return held, err
	}
	n, err := s.appendChunk(f, held, c, body, quota.room())
	if errors.Is(err, errNoRoom) {
		err = quotaRefusal(u.Login, &store.QuotaError{Kind: store.QuotaDiskUsage, Limit: quota.limit, Used: quota.used})
	}
	if err != nil {
		return held, err
	}
	held += n
	pct := 50
	if c.Size > 0 {
		pct = 50 + int(min(held*45/c.Size, 45))
	}
	if _, err := s.store.ScanOverlayProgress(ctx, sc.ID, held, pct, fmt.Sprintf("Receiving the overlay: %d MiB", held>>20)); err != nil {
		return held, err
	}
	if !c.Complete {
		return held, nil
	}
	return held, s.completeOverlay(ctx, sc, f, c)
}

// diskLimit is a user's disk quota and what the user stores.
type diskLimit struct{ limit, used int64 }

// room is how many more bytes may be stored; -1 for no limit.
func (d diskLimit) room() int64 {
	if d.limit < 0 {
		return -1
	}
	return max(d.limit-d.used, 0)
}

// diskQuota reads u's disk quota and usage. The overlay being received
// counts already: the store knows how much of it arrived.
func (s *Scans) diskQuota(ctx context.Context, u *store.User) (diskLimit, error) {
	lim, err := s.limits(ctx, u)
	if err != nil || lim.DiskBytes < 0 {
		return diskLimit{limit: -1}, err
	}
	used, err := s.store.Usage(ctx, u.ID)
	if err != nil {
		return diskLimit{}, fmt.Errorf("usage of %q: %w", u.Login, err)
	}
	return diskLimit{limit: lim.DiskBytes, used: used.DiskBytes}, nil
}

// errNoRoom says a chunk went beyond what the owner's disk quota leaves.
var errNoRoom = errors.New("no room left in the disk quota")

// appendChunk writes body at offset held of f when c.Offset == held, checking
// its CRC as it goes (a bad chunk is cut off again), and returns the bytes
// added. A chunk lying wholly before held is a retransmission: read, not
// written. room, unless negative, is what the owner's disk quota leaves: a
// chunk beyond it is cut off and refused with errNoRoom. Two
// uploads of one user at once may each take the room left, so a quota can be
// exceeded by at most a chunk per upload running.
func (s *Scans) appendChunk(f *os.File, held int64, c OverlayChunk, body io.Reader, room int64) (int64, error) {
	limit := min(MaxChunkBytes, s.maxOverlay()-held)
	if room >= 0 && room < limit {
		limit = room
	}
	switch {
	case c.Offset < held:
		n, err := io.Copy(io.Discard, io.LimitReader(body, MaxChunkBytes+1))
		if err != nil {
			return 0, fmt.Errorf("read chunk: %w", err)
		}
		if c.Offset+n > held {
			return 0, conflict("overlay.offset", "a chunk at offset %d overlaps the end of the %d bytes received: continue at %d", c.Offset, held, held)
		}
		return 0, nil
	case c.Offset > held:
		return 0, conflict("overlay.offset", "the chunk is at offset %d but %d bytes were received: continue at %d", c.Offset, held, held)
	}
	if _, err := f.Seek(held, io.SeekStart); err != nil {
		return 0, err
	}
	h := crc32.NewIEEE()
	n, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(body, limit+1))
	switch {
	case err == nil && n > limit && limit == room:
		err = errNoRoom
	case err == nil && n > limit:
		err = &Error{Kind: KindTooLarge, ID: "overlay.tooLarge", Msg: fmt.Sprintf("the overlay exceeds this server's limit of %d bytes (or a chunk exceeds %d)", s.maxOverlay(), MaxChunkBytes)}
	}
	if err == nil && c.CRC != "" {
		want, perr := strconv.ParseUint(c.CRC, 16, 32)
		if perr != nil || uint32(want) != h.Sum32() {
			err = invalid("upload.crc", "crc %q does not match the chunk (CRC-32 %08x): send it again", c.CRC, h.Sum32())
		}
	}
	if err != nil {
		_ = f.Truncate(held)
		return 0, err
	}
	return n, nil
}

func (s *Scans) maxOverlay() int64 {
	if s.cfg.MaxOverlayBytes > 0 {
		return s.cfg.MaxOverlayBytes
	}
	return overlay.DefaultLimits().MaxBytes
}

// overlayLimits are the bounds an overlay is checked against.
func (s *Scans) overlayLimits() overlay.Limits {
	lim := overlay.DefaultLimits()
	lim.MaxBytes = s.maxOverlay()
	return lim
}

// completeOverlay checks the received archive and completes or fails the
// scan. The check writes the scan's file list on the way (scan_files.go).
func (s *Scans) completeOverlay(ctx context.Context, sc *store.Scan, f *os.File, c OverlayChunk) error {
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if c.Size > 0 && st.Size() != c.Size {
		return invalid("overlay.size", "the overlay is complete at %d bytes but %d were announced: resume from %d", st.Size(), c.Size, st.Size())
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	h := sha256.New()
	files, err := newFileIndex(s.indexPath(sc.ID))
	if err != nil {
		return err
	}
	sum, err := overlay.Check(ctx, io.TeeReader(f, h), s.overlayLimits(), files.add)
	if err == nil {
		_, err = io.Copy(h, f) // the tar's trailing padding
	}
	if err != nil {
		files.discard()
		msg := err.Error()
		_, _ = s.store.FailScan(context.WithoutCancel(ctx), sc.ID, store.ScanError, "Overlay rejected", msg)
		s.discardUpload(sc.ID)
		return invalid("overlay.rejected", "the overlay was rejected: %s", msg)
	}
	got := hex.EncodeToString(h.Sum(nil))
	if c.SHA256 != "" && c.SHA256 != got {
		files.discard()
		return invalid("overlay.sha256", "the overlay's SHA-256 is %s, not %s: upload it again", got, c.SHA256)
	}
	if err := s.storeFileIndex(ctx, sc.ID, files); err != nil {
		return err
	}
	key := fmt.Sprintf("scans/%d/overlay.tar", sc.ID)
	size, _, err := s.artifacts.PutFile(ctx, key, f.Name(), got)
	if err != nil {
		_ = s.artifacts.Delete(context.WithoutCancel(ctx), fileIndexKey(sc.ID))
		return fmt.Errorf("store overlay of scan %d: %w", sc.ID, err)
	}
	summary, _ := json.Marshal(sum)
	done, err := s.store.CompleteScan(ctx, sc.ID, key, size, got, summary)
	if err != nil {
		return err
	}
	if !done { // cancelled while the archive was checked
		_ = s.artifacts.Delete(context.WithoutCancel(ctx), key)
		_ = s.artifacts.Delete(context.WithoutCancel(ctx), fileIndexKey(sc.ID))
		return conflict("scan.terminal", "scan %d was cancelled", sc.ID)
	}
	s.log.Info("scan complete", "scan", sc.ID, "overlay_bytes", size, "entries", sum.Entries)
	return nil
}

// OpenOverlay opens a complete scan's overlay for download (scanOverlay_download).
func (s *Scans) OpenOverlay(ctx context.Context, p *Principal, uid string, siid, sid int64) (Artifact, error) {
	_, _, sc, err := s.ownedScan(ctx, p, uid, siid, sid)
	if err != nil {
		return nil, err
	}
	if sc.OverlayKey == "" {
		return nil, conflict("overlay.notReady", "scan %d has no complete overlay (it is %s)", sc.ID, sc.State)
	}
	return s.artifacts.Open(ctx, sc.OverlayKey)
}
