package service

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/kilnhq/kiln/internal/distro"
	"github.com/kilnhq/kiln/internal/overlay"
	"github.com/kilnhq/kiln/internal/record"
	"github.com/kilnhq/kiln/internal/store"
	"github.com/kilnhq/kiln/internal/uforge"
)

func instanceURI(login string, id int64) string {
	return fmt.Sprintf("%s/scannedinstances/%d", userURI(login), id)
}

func scanURI(login string, siid, sid int64) string {
	return fmt.Sprintf("%s/scans/%d", instanceURI(login, siid), sid)
}

// renderInstance is a scannedInstance; hammr reads overlayIncluded and, with
// includeScans, every scan's status.
func (s *Scans) renderInstance(ctx context.Context, login string, si *store.ScannedInstance, includeScans bool) (*uforge.ScannedInstance, error) {
	uri := instanceURI(login, si.ID)
	w := &uforge.ScannedInstance{
		Object:          uforge.Object{DBID: new(si.ID), Created: new(si.Created), LastModified: new(si.Modified)},
		Name:            new(si.Name),
		OverlayIncluded: new(si.OverlayIncluded),
		ScansURI:        new(uri + "/scans"),
		URI:             new(uri),
		Scans:           []uforge.Scan{},
	}
	if d, ok := distro.ByID(si.DistributionID); ok {
		w.Distribution = &uforge.Distribution{Object: uforge.Object{DBID: new(d.ID)}, Name: new(d.Name), Version: new(d.Version),
			Arch: new(d.Arch), URI: new(distributionURI(d.ID))}
	}
	scans, err := s.store.ListScans(ctx, store.ScanFilter{InstanceID: si.ID})
	if err != nil {
		return nil, err
	}
	w.TotalScans = new(len(scans))
	if includeScans {
		for i := range scans {
			sc, err := s.renderScan(login, si, &scans[i], scanDetail{})
			if err != nil {
				return nil, err
			}
			w.Scans = append(w.Scans, *sc)
		}
	}
	return w, nil
}

// scanDetail selects the optional parts of a rendered scan.
type scanDetail struct {
	packages bool
}

// renderScan is a scan with the flags and counts hammr and the CLI print.
func (s *Scans) renderScan(login string, si *store.ScannedInstance, sc *store.Scan, d scanDetail) (*uforge.Scan, error) {
	uri := scanURI(login, si.ID, sc.ID)
	w := &uforge.Scan{ScanSummary: uforge.ScanSummary{
		Object:             uforge.Object{DBID: new(sc.ID), Created: new(sc.Created), LastModified: new(sc.Modified)},
		Error:              new(sc.State == store.ScanError),
		FilesURI:           new(uri + "/files"),
		ImagesURI:          new(uri + "/images"),
		InstallProfileURI:  new(uri + "/installProfile"),
		Name:               new(sc.Name),
		OverlayURI:         new(uri + "/overlay"),
		PackagesURI:        new(uri + "/packages"),
		ScannedInstanceURI: new(instanceURI(login, si.ID)),
		Scanned:            new(true),
		Status:             renderScanStatus(login, si, sc),
		URI:                new(uri),
		Validated:          new(sc.State == store.ScanComplete),
		RawScan:            new(false),
	}}
	if sc.ErrorMsg != "" {
		w.ErrorMsg = new(sc.ErrorMsg)
	}
	if sc.OverlayKey != "" {
		w.OverlayCRC = new(sc.OverlaySHA256)
		w.UncompressedBinarySize = new(sc.OverlaySize)
		w.BinariesReceived = new(true)
		var sum overlay.Summary
		if json.Unmarshal(sc.OverlayManifest, &sum) == nil {
			w.TotalFilesAdded = new(int(sum.Files + sum.Symlinks + sum.Hardlinks))
		}
	}
	rep, err := scanReport(sc)
	if err != nil {
		return nil, err
	}
	w.TotalPackages = new(len(rep.Packages))
	if rep.Overlay != nil {
		w.TotalFilesModified = new(int(rep.Overlay.Modified))
	}
	w.Packages = []uforge.ScannedPkg{}
	if d.packages {
		w.Packages = renderScannedPackages(si, rep)
	}
	return w, nil
}

// scanReport decodes the stored report (checked when it was uploaded).
func scanReport(sc *store.Scan) (*record.ScanReport, error) {
	var rep record.ScanReport
	if err := json.Unmarshal(sc.Report, &rep); err != nil {
		return nil, fmt.Errorf("scan %d: stored report: %w", sc.ID, err)
	}
	return &rep, nil
}

func renderScannedPackages(si *store.ScannedInstance, rep *record.ScanReport) []uforge.ScannedPkg {
	out := make([]uforge.ScannedPkg, 0, len(rep.Packages))
	for _, p := range rep.Packages {
		out = append(out, uforge.ScannedPkg{
			Pkg:               uforge.Pkg{Name: new(p.Name), Version: new(p.Version), Arch: new(p.Arch), Type: new("deb")},
			ScannedInstanceID: new(si.ID),
			Selected:          new(true),
		})
	}
	return out
}

// renderScanStatus is the status hammr polls: running until the overlay is in.
func renderScanStatus(login string, si *store.ScannedInstance, sc *store.Scan) *uforge.OpStatus {
	uri := scanURI(login, si.ID, sc.ID)
	st := &uforge.OpStatus{
		Object:     uforge.Object{DBID: new(sc.ID), Created: new(sc.Created), LastModified: new(sc.Modified)},
		Cancelled:  new(sc.State == store.ScanCancelled),
		Complete:   new(sc.State == store.ScanComplete),
		Error:      new(sc.State == store.ScanError),
		Message:    new(sc.Message),
		Percentage: new(sc.Percentage),
		ParentURI:  new(uri),
		URI:        new(uri + "/status"),
	}
	if sc.State == store.ScanComplete {
		st.Percentage = new(100)
	}
	if sc.State == store.ScanError {
		msg := sc.ErrorMsg
		if msg == "" {
			msg = sc.Message
		}
		st.ErrorMessage = new(msg)
		st.DetailedError = new(false)
		st.DetailedErrorMsg = new("")
	}
	if *st.Message == "" {
		st.Message = new(sc.State)
	}
	return st
}
