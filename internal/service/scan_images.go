package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/kilnhq/kiln/internal/plan"
	"github.com/kilnhq/kiln/internal/record"
	"github.com/kilnhq/kiln/internal/scan"
	"github.com/kilnhq/kiln/internal/spec"
	"github.com/kilnhq/kiln/internal/store"
	"github.com/kilnhq/kiln/internal/target"
	"github.com/kilnhq/kiln/internal/uforge"
)

// GenerateScanImage starts a generation from a complete scan (scanImage_generate,
// contract §4.1): the scanned packages at their versions, the overlay, and
// the scanned install profile, of which only disk and swap sizes may change.
func (s *Scans) GenerateScanImage(ctx context.Context, p *Principal, uid string, siid, sid int64, req *uforge.Image) (*uforge.Image, error) {
	u, si, sc, err := s.ownedScan(ctx, p, uid, siid, sid)
	if err != nil {
		return nil, err
	}
	if sc.State != store.ScanComplete {
		return nil, conflict("scan.notComplete", "scan %d is %s: only a complete scan can be generated", sc.ID, sc.State)
	}
	if err := refusePasswords(req); err != nil {
		return nil, err
	}
	f, err := resolveTargetFormat(req.TargetFormat)
	if err != nil {
		return nil, err
	}
	sp, notes, err := s.scanSpec(ctx, si, sc, f, req)
	if err != nil {
		return nil, err
	}
	pl, err := planImage(sp, "scan")
	if err != nil {
		return nil, err
	}
	if err := s.refuseDuplicate(ctx, 0, f.ID, sc.ID); err != nil {
		return nil, err
	}
	revision, err := s.nextRevision(ctx, 0, sc.ID)
	if err != nil {
		return nil, err
	}
	reqJSON, _ := json.Marshal(requestEcho(req))
	img, err := s.startImage(ctx, u, &store.Image{ScanID: sc.ID, FormatID: f.ID, Name: si.Name, Version: sc.Name,
		Revision: revision, Compress: sp.Output.Compress, Request: reqJSON}, pl)
	if err != nil {
		return nil, err
	}
	if len(notes) > 0 {
		// Said in the queued status, so that hammr prints it with the ticket.
		if _, err := s.store.ImageProgress(ctx, img.ID, 0, "Generation queued; "+strings.Join(notes, "; ")); err == nil {
			if cur, err := s.store.GetImage(ctx, img.ID); err == nil {
				img = cur
			}
		}
	}
	img.ScanInstanceID = si.ID
	return s.renderImage(ctx, u.Login, img), nil
}

// RegenerateScanImage generates scan image itid again as a new image (new id,
// revision + 1): Kiln's counterpart of machineImage_regenerate for scans. A
// scan never changes, so planning its request again would give the plan the
// image stored: that plan is executed unchanged, with or without reproduce.
// With force, a generation of the same scan and format still running is
// cancelled first; without, 409.
func (s *Scans) RegenerateScanImage(ctx context.Context, p *Principal, uid string, siid, sid, itid int64, force bool) (*uforge.Image, error) {
	u, old, err := s.ownedScanImage(ctx, p, uid, siid, sid, itid)
	if err != nil {
		return nil, err
	}
	if err := s.makeWay(ctx, old, force); err != nil {
		return nil, err
	}
	pl, err := plan.Decode(old.Spec)
	if err != nil {
		return nil, fmt.Errorf("image %d: %w", old.ID, err)
	}
	revision, err := s.nextRevision(ctx, 0, sid)
	if err != nil {
		return nil, err
	}
	img, err := s.startImage(ctx, u, &store.Image{ScanID: sid, FormatID: old.FormatID, Name: old.Name, Version: old.Version,
		Revision: revision, Compress: old.Compress, Request: old.Request}, pl)
	if err != nil {
		return nil, err
	}
	img.ScanInstanceID = siid
	return s.renderImage(ctx, u.Login, img), nil
}

// scanSpec resolves a scan and an image request into a build spec. Packages
// keep their scanned version when the mirror has it, else take the mirror's
// (said in the returned notes); foreign-architecture packages are left out.
func (s *Scans) scanSpec(ctx context.Context, si *store.ScannedInstance, sc *store.Scan, f target.Format, req *uforge.Image) (*spec.Spec, []string, error) {
	rep, err := scanReport(sc)
	if err != nil {
		return nil, nil, err
	}
	sp := scan.Spec(rep)
	sp.Name, sp.ImageVersion = si.Name, ""
	sp.Distribution.Variant = "minbase" // the scanned package list is complete: nothing else is wanted
	if r := req.InstallProfile; r != nil {
		if r.DiskSize != nil {
			if *r.DiskSize <= 0 {
				return nil, nil, invalid("image.diskSize", "image/installProfile/diskSize: must be greater than 0 (a size under %d MiB is raised to it)", spec.MinDiskMB)
			}
			sp.Install.Disk.SizeMB = *r.DiskSize
		}
		if r.SwapSize != nil {
			if *r.SwapSize <= 0 {
				return nil, nil, invalid("image.swapSize", "image/installProfile/swapSize: must be greater than 0 for a scan image (omit it to keep the scanned swap)")
			}
			sp.Install.Disk.SwapMB = *r.SwapSize
		}
		if r.KernelParameters != nil {
			// The scan's kept parameters, as its install profile shows them,
			// replaced by the user's own before generating.
			kp, err := kernelParameters(*r.KernelParameters)
			if err != nil {
				return nil, nil, invalid("image.kernelParameters", "image/installProfile/%v", err)
			}
			sp.Install.KernelParameters = kp
		}
		sp.Output.MemoryMB = uforge.Int64Value(r.MemorySize)
		sp.Output.HWType = uforge.StrValue(r.HWType)
	}
	if sp.Install.Disk.SizeMB < spec.MinDiskMB {
		sp.Install.Disk.SizeMB = spec.MinDiskMB
	}
	sp.Overlay = &spec.Overlay{Key: sc.OverlayKey, Size: sc.OverlaySize, SHA256: sc.OverlaySHA256}
	sp.Output.Format, sp.Output.Compress, sp.Output.Entrypoint = f.Name, uforge.BoolValue(req.Compress), uforge.StrValue(req.Entrypoint)
	notes, err := s.pinAvailable(ctx, si.DistributionID, &sp)
	if err != nil {
		return nil, nil, err
	}
	sp.Defaults()
	if err := sp.Validate(); err != nil {
		return nil, nil, invalid("image.spec", "the scan cannot be built as requested: %s", wireNames(err))
	}
	return &sp, notes, nil
}

// pinAvailable checks the scanned versions against the mirror's package
// index. When the index has not been read yet nothing is changed: the build
// then fails with the package it cannot find, which is the honest outcome.
func (s *Scans) pinAvailable(ctx context.Context, distID int64, sp *spec.Spec) ([]string, error) {
	n, _, err := s.store.PackageIndex(ctx, distID)
	if err != nil || n == 0 {
		return nil, err
	}
	var names []string
	for _, p := range sp.Packages {
		names = append(names, p.Name)
	}
	rows, err := s.store.PackagesByName(ctx, distID, names)
	if err != nil {
		return nil, err
	}
	versions := map[string]map[string]bool{}
	for _, r := range rows {
		if versions[r.Name] == nil {
			versions[r.Name] = map[string]bool{}
		}
		versions[r.Name][r.Version] = true
	}
	var kept []spec.Package
	var newest, missing, foreign []string
	for _, p := range sp.Packages {
		switch {
		case strings.Contains(p.Name, ":"):
			foreign = append(foreign, p.Name)
			continue
		case versions[p.Name] == nil:
			missing = append(missing, p.Name)
			continue
		case !versions[p.Name][p.Version]:
			newest = append(newest, p.Name+" "+p.Version)
			p.Version = ""
		}
		kept = append(kept, p)
	}
	sp.Packages = kept
	var notes []string
	if len(newest) > 0 {
		notes = append(notes, fmt.Sprintf("%d package versions are not on the mirror and take its newest: %s", len(newest), short(newest)))
	}
	if len(missing) > 0 {
		notes = append(notes, fmt.Sprintf("%d packages are not on the mirror and are left out: %s", len(missing), short(missing)))
	}
	if len(foreign) > 0 {
		notes = append(notes, fmt.Sprintf("%d foreign-architecture packages are left out: %s", len(foreign), short(foreign)))
	}
	return notes, nil
}

// short lists at most ten names.
func short(names []string) string {
	if len(names) > 10 {
		return strings.Join(names[:10], ", ") + fmt.Sprintf(" and %d more", len(names)-10)
	}
	return strings.Join(names, ", ")
}

// ownedScanImage loads image itid of scan sid of instance siid of user uid.
func (s *Scans) ownedScanImage(ctx context.Context, p *Principal, uid string, siid, sid, itid int64) (*store.User, *store.Image, error) {
	u, _, sc, err := s.ownedScan(ctx, p, uid, siid, sid)
	if err != nil {
		return nil, nil, err
	}
	img, err := s.store.GetImage(ctx, itid)
	if errors.Is(err, store.ErrNotFound) || (err == nil && img.ScanID != sc.ID) {
		return nil, nil, notFound("image", "image %d of scan %d does not exist", itid, sid)
	}
	if err != nil {
		return nil, nil, err
	}
	return u, img, nil
}

// GetScanImage returns one image of a scan.
func (s *Scans) GetScanImage(ctx context.Context, p *Principal, uid string, siid, sid, itid int64) (*uforge.Image, error) {
	u, img, err := s.ownedScanImage(ctx, p, uid, siid, sid, itid)
	if err != nil {
		return nil, err
	}
	return s.renderImage(ctx, u.Login, img), nil
}

// ListScanImages returns the images of a scan.
func (s *Scans) ListScanImages(ctx context.Context, p *Principal, uid string, siid, sid int64, q Query) (*uforge.Images, error) {
	u, _, sc, err := s.ownedScan(ctx, p, uid, siid, sid)
	if err != nil {
		return nil, err
	}
	imgs, err := s.store.ListImages(ctx, store.ImageFilter{OwnerID: u.ID, ScanID: sc.ID})
	if err != nil {
		return nil, err
	}
	return s.imageList(ctx, u.Login, imgs, q)
}

// ScanImageStatus returns the status of one scan image.
func (s *Scans) ScanImageStatus(ctx context.Context, p *Principal, uid string, siid, sid, itid int64) (*uforge.OpStatus, error) {
	u, img, err := s.ownedScanImage(ctx, p, uid, siid, sid, itid)
	if err != nil {
		return nil, err
	}
	return renderStatus(u.Login, img), nil
}

// CancelScanImage stops a running generation of a scan image.
func (s *Scans) CancelScanImage(ctx context.Context, p *Principal, uid string, siid, sid, itid int64) (*uforge.OpStatus, error) {
	u, img, err := s.ownedScanImage(ctx, p, uid, siid, sid, itid)
	if err != nil {
		return nil, err
	}
	if img.Terminal() {
		return nil, conflict("image.notRunning", "image %d is not being generated (it is %s)", img.ID, img.State)
	}
	if img, err = s.cancelImage(ctx, img, "Generation cancelled"); err != nil {
		return nil, err
	}
	return renderStatus(u.Login, img), nil
}

// DeleteScanImage removes a scan image and its artifact.
func (s *Scans) DeleteScanImage(ctx context.Context, p *Principal, uid string, siid, sid, itid int64) error {
	_, img, err := s.ownedScanImage(ctx, p, uid, siid, sid, itid)
	if err != nil {
		return err
	}
	return s.deleteImage(ctx, img)
}

// DownloadScanImage opens a scan image for the holder of its download key.
func (s *Scans) DownloadScanImage(ctx context.Context, uid string, siid, sid, itid int64, key string) (*Download, error) {
	return s.download(ctx, uid, itid, key, func(img *store.Image) bool { return img.ScanID == sid && img.ScanInstanceID == siid })
}

// ScanImageFidelity returns the comparison of the scanned machine with a
// finished scan image (a Kiln extension: JSON).
func (s *Scans) ScanImageFidelity(ctx context.Context, p *Principal, uid string, siid, sid, itid int64) (json.RawMessage, error) {
	_, img, err := s.ownedScanImage(ctx, p, uid, siid, sid, itid)
	if err != nil {
		return nil, err
	}
	if img.State != store.ImageComplete || len(img.Fidelity) == 0 {
		return nil, conflict("image.notComplete", "image %d has no fidelity report: it is %s", img.ID, img.State)
	}
	var f record.Fidelity
	if err := json.Unmarshal(img.Fidelity, &f); err != nil {
		return nil, fmt.Errorf("image %d: fidelity report: %w", img.ID, err)
	}
	// What the scan left out of the command line is the scan's (immutable)
	// record: it joins the report here rather than being copied into it.
	_, _, sc, err := s.ownedScan(ctx, p, uid, siid, sid)
	if err != nil {
		return nil, err
	}
	rep, err := scanReport(sc)
	if err != nil {
		return nil, err
	}
	f.KernelParametersDropped = rep.Profile.KernelDropped
	b, err := json.Marshal(&f)
	if err != nil {
		return nil, err
	}
	return json.RawMessage(b), nil
}
