package service

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"strconv"
	"strings"

	"github.com/kilnhq/kiln/internal/debian"
	"github.com/kilnhq/kiln/internal/distro"
	"github.com/kilnhq/kiln/internal/record"
	"github.com/kilnhq/kiln/internal/scan"
	"github.com/kilnhq/kiln/internal/spec"
	"github.com/kilnhq/kiln/internal/store"
	"github.com/kilnhq/kiln/internal/uforge"
)

// MaxReportBytes bounds a scan report upload: a report lists packages and
// accounts, not files (those travel in the overlay).
const MaxReportBytes = 32 << 20

// ScanConfig wires the scan use cases to where overlays are received.
type ScanConfig struct {
	// UploadDir holds overlays while their chunks arrive (one file per
	// scan); complete overlays move to the artifact store.
	UploadDir string
	// MaxOverlayBytes bounds one overlay archive.
	MaxOverlayBytes int64
}

// Scans holds the use cases of migration: scanned instances, their scans and
// overlays (scan_overlay.go), what a scan found (scan_details.go), and the
// images generated from a scan (scan_images.go), which live as appliance
// images do.
type Scans struct {
	imageOps
	cfg         ScanConfig
	uploadLocks uploadLocks // serialises each scan's overlay chunks
}

// NewScans returns the scan use cases: overlays are received under
// sc.UploadDir and kept in arts with the images, whose generations are
// enqueued on q.
func NewScans(st store.Store, q Queue, arts Artifacts, sc ScanConfig, cfg Config) *Scans {
	return &Scans{imageOps: newImageOps(st, q, arts, cfg), cfg: sc}
}

// ownedScan loads scan sid of instance siid of user uid.
func (s *Scans) ownedScan(ctx context.Context, p *Principal, uid string, siid, sid int64) (*store.User, *store.ScannedInstance, *store.Scan, error) {
	u, si, err := s.ownedInstance(ctx, p, uid, siid)
	if err != nil {
		return nil, nil, nil, err
	}
	sc, err := s.store.GetScan(ctx, sid)
	if errors.Is(err, store.ErrNotFound) || (err == nil && sc.InstanceID != si.ID) {
		return nil, nil, nil, notFound("scan", "scan %d of scanned instance %d does not exist", sid, siid)
	}
	if err != nil {
		return nil, nil, nil, err
	}
	return u, si, sc, nil
}

// CreateScan records a scan report uploaded by the agent (scan_create). crc,
// when given, is the CRC-32 (IEEE) of the body in hexadecimal (or decimal,
// as other agents send it). The scan is running until its overlay arrives.
func (s *Scans) CreateScan(ctx context.Context, p *Principal, uid string, siid int64, body io.Reader, crc string) (*uforge.Scan, error) {
	u, si, err := s.ownedInstance(ctx, p, uid, siid)
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(body, MaxReportBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read scan report: %w", err)
	}
	if len(data) > MaxReportBytes {
		return nil, &Error{Kind: KindTooLarge, ID: "scan.reportTooLarge", Msg: fmt.Sprintf("the scan report exceeds %d bytes", MaxReportBytes)}
	}
	if err := checkCRC(crc, data); err != nil {
		return nil, err
	}
	rep, err := decodeReport(data)
	if err != nil {
		return nil, err
	}
	if d, ok := distro.Lookup(rep.Distribution.VersionID); !ok || d.ID != si.DistributionID {
		return nil, invalid("scan.distribution", "the report is of %s %s, but scanned instance %d is %s",
			rep.Distribution.ID, rep.Distribution.VersionID, si.ID, distributionName(si.DistributionID))
	}
	n, err := s.store.ListScans(ctx, store.ScanFilter{InstanceID: si.ID})
	if err != nil {
		return nil, err
	}
	sc := &store.Scan{InstanceID: si.ID, OwnerID: u.ID, Name: fmt.Sprintf("%s #%d", si.Name, len(n)+1),
		State: store.ScanRunning, Percentage: 50, Message: "Report received; waiting for the overlay", Report: data}
	lim, err := s.limits(ctx, u)
	if err != nil {
		return nil, err
	}
	if err := s.store.CreateScan(ctx, sc, lim); err != nil {
		return nil, quotaRefusal(u.Login, err)
	}
	return s.renderScan(u.Login, si, sc, scanDetail{})
}

// checkCRC verifies an uploaded body against the crc query parameter.
func checkCRC(crc string, data []byte) error {
	if crc == "" {
		return nil
	}
	got := crc32.ChecksumIEEE(data)
	want, err := strconv.ParseUint(crc, 16, 32)
	if err != nil || uint32(want) != got {
		dec, derr := strconv.ParseUint(crc, 10, 32)
		if derr != nil || uint32(dec) != got {
			return invalid("upload.crc", "crc %q does not match the uploaded data (CRC-32 %08x)", crc, got)
		}
	}
	return nil
}

// decodeReport reads and checks an agent's report: it must describe a
// supported Debian system (record.ScanReport, as `kiln scan` writes it).
func decodeReport(data []byte) (*record.ScanReport, error) {
	var rep record.ScanReport
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rep); err != nil {
		return nil, invalid("scan.report", "the scan report is not a Kiln scan report: %v", err)
	}
	if rep.Distribution.ID != "debian" {
		return nil, invalid("scan.unsupported", "the scanned system is %q: Kiln rebuilds Debian systems only", rep.Distribution.ID)
	}
	if _, ok := distro.Lookup(rep.Distribution.VersionID); !ok {
		return nil, invalid("scan.unsupported", "Debian %q is not supported (%s are)", rep.Distribution.VersionID, debian.SupportedList())
	}
	if len(rep.Packages) == 0 {
		return nil, invalid("scan.report", "the scan report lists no installed package")
	}
	// The accounts an image of this scan recreates, with the check the build
	// spec gets: a home under var/run -> /run would be made elsewhere.
	for _, u := range scan.Install(&rep.Profile).Users {
		if u.Home == "" || u.IfMissing {
			// The default (/home/NAME); or a system account, whose home (sys's
			// /dev, sshd's /run/sshd) Kiln never makes: it is only written into
			// /etc/passwd, and spec.Validate checks it as such.
			continue
		}
		if err := spec.CheckTreePath(u.Home); err != nil {
			return nil, invalid("scan.report", "the scanned account %s cannot be recreated: home: %v", u.Name, err)
		}
	}
	return &rep, nil
}

func distributionName(id int64) string {
	d, ok := distro.ByID(id)
	if !ok {
		return "an unknown distribution"
	}
	return d.Name + " " + d.Version
}

// ListScans returns the scans of an instance (scannedInstanceScan_getAll).
func (s *Scans) ListScans(ctx context.Context, p *Principal, uid string, siid int64) (*uforge.Scans, error) {
	u, si, err := s.ownedInstance(ctx, p, uid, siid)
	if err != nil {
		return nil, err
	}
	scans, err := s.store.ListScans(ctx, store.ScanFilter{InstanceID: si.ID})
	if err != nil {
		return nil, err
	}
	return s.scanList(ctx, u.Login, scans, map[int64]*store.ScannedInstance{si.ID: si})
}

// UserScans returns every scan of the user (userScan_getAll).
func (s *Scans) UserScans(ctx context.Context, p *Principal, uid string) (*uforge.Scans, error) {
	u, err := s.targetUser(ctx, p, uid)
	if err != nil {
		return nil, err
	}
	scans, err := s.store.ListScans(ctx, store.ScanFilter{OwnerID: u.ID})
	if err != nil {
		return nil, err
	}
	return s.scanList(ctx, u.Login, scans, map[int64]*store.ScannedInstance{})
}

func (s *Scans) scanList(ctx context.Context, login string, scans []store.Scan, instances map[int64]*store.ScannedInstance) (*uforge.Scans, error) {
	out := &uforge.Scans{Objects: uforge.Objects{Total: new(int64(len(scans)))}, Scans: []uforge.Scan{}}
	for i := range scans {
		si, ok := instances[scans[i].InstanceID]
		if !ok {
			var err error
			if si, err = s.store.GetScannedInstance(ctx, scans[i].InstanceID); err != nil {
				return nil, err
			}
			instances[si.ID] = si
		}
		w, err := s.renderScan(login, si, &scans[i], scanDetail{})
		if err != nil {
			return nil, err
		}
		out.Scans = append(out.Scans, *w)
	}
	return out, nil
}

// GetScan returns one scan (scan_get); pkgs adds its packages.
func (s *Scans) GetScan(ctx context.Context, p *Principal, uid string, siid, sid int64, pkgs bool) (*uforge.Scan, error) {
	u, si, sc, err := s.ownedScan(ctx, p, uid, siid, sid)
	if err != nil {
		return nil, err
	}
	return s.renderScan(u.Login, si, sc, scanDetail{packages: pkgs})
}

// UpdateScan renames a scan (scan_update): the only field a client may change.
func (s *Scans) UpdateScan(ctx context.Context, p *Principal, uid string, siid, sid int64, in *uforge.Scan) (*uforge.Scan, error) {
	u, si, sc, err := s.ownedScan(ctx, p, uid, siid, sid)
	if err != nil {
		return nil, err
	}
	if n := strings.TrimSpace(uforge.StrValue(in.Name)); n != "" && n != sc.Name {
		if len(n) > 255 {
			return nil, invalid("scan.name", "scan/name: at most 255 characters")
		}
		if err := s.store.RenameScan(ctx, sc.ID, n); err != nil {
			return nil, err
		}
		sc.Name = n
	}
	return s.renderScan(u.Login, si, sc, scanDetail{})
}

// CancelScan stops a scan whose overlay is still arriving (scan_cancel): the
// agent's next chunk is refused. It does not stop the agent's own process.
func (s *Scans) CancelScan(ctx context.Context, p *Principal, uid string, siid, sid int64) (*uforge.OpStatus, error) {
	u, si, sc, err := s.ownedScan(ctx, p, uid, siid, sid)
	if err != nil {
		return nil, err
	}
	if sc.Terminal() {
		return nil, conflict("scan.terminal", "scan %d is not running (it is %s)", sc.ID, sc.State)
	}
	if _, err := s.store.FailScan(ctx, sc.ID, store.ScanCancelled, "Scan cancelled", ""); err != nil {
		return nil, err
	}
	s.discardUpload(sc.ID)
	if sc, err = s.store.GetScan(ctx, sc.ID); err != nil {
		return nil, err
	}
	return renderScanStatus(u.Login, si, sc), nil
}

// DeleteScan removes a scan, its overlay and its images.
func (s *Scans) DeleteScan(ctx context.Context, p *Principal, uid string, siid, sid int64) error {
	_, _, sc, err := s.ownedScan(ctx, p, uid, siid, sid)
	if err != nil {
		return err
	}
	return s.deleteScan(ctx, sc)
}

// DeleteInstanceScans removes every scan of an instance, keeping the instance.
func (s *Scans) DeleteInstanceScans(ctx context.Context, p *Principal, uid string, siid int64) error {
	_, si, err := s.ownedInstance(ctx, p, uid, siid)
	if err != nil {
		return err
	}
	scans, err := s.store.ListScans(ctx, store.ScanFilter{InstanceID: si.ID})
	if err != nil {
		return err
	}
	for i := range scans {
		if err := s.deleteScan(ctx, &scans[i]); err != nil {
			return err
		}
	}
	return nil
}

func (s *Scans) deleteScan(ctx context.Context, sc *store.Scan) error {
	if err := s.deleteScanFiles(ctx, sc); err != nil {
		return err
	}
	if err := s.store.DeleteScan(ctx, sc.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return nil
}

// deleteScanFiles cancels the scan's running generations and removes its
// images' artifacts, its overlay with its file list, and any partial upload.
func (s *Scans) deleteScanFiles(ctx context.Context, sc *store.Scan) error {
	imgs, err := s.store.ListImages(ctx, store.ImageFilter{ScanID: sc.ID})
	if err != nil {
		return err
	}
	for i := range imgs {
		if err := s.deleteImage(ctx, &imgs[i]); err != nil {
			return err
		}
	}
	if sc.OverlayKey != "" {
		for _, key := range []string{sc.OverlayKey, fileIndexKey(sc.ID)} {
			if err := s.artifacts.Delete(ctx, key); err != nil {
				return fmt.Errorf("delete overlay of scan %d: %w", sc.ID, err)
			}
		}
	}
	s.discardUpload(sc.ID)
	return nil
}
