package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/kilnhq/kiln/internal/hammr"
	"github.com/kilnhq/kiln/internal/scan/upload"
	"github.com/kilnhq/kiln/internal/uforge"
)

// ScanRow is one scan in `scan list --output json`.
type ScanRow struct {
	ID         int64     `json:"id"`
	Name       string    `json:"name"`
	Status     string    `json:"status"` // Done | N% | Error, as hammr
	Percentage int       `json:"percentage"`
	Created    time.Time `json:"created,omitzero"`
	Message    string    `json:"message,omitempty"`
}

// InstanceRow is one scanned instance in `scan list --output json`.
type InstanceRow struct {
	ID           int64     `json:"id"`
	Name         string    `json:"name"`
	Distribution string    `json:"distribution"`
	Overlay      bool      `json:"overlay"`
	Scans        []ScanRow `json:"scans"`
}

// scanStatus is hammr's scan status text (contract §8.5).
func scanStatus(st *uforge.OpStatus) string {
	switch {
	case st != nil && uforge.BoolValue(st.Complete) && !uforge.BoolValue(st.Error) && !uforge.BoolValue(st.Cancelled):
		return "Done"
	case st != nil && !uforge.BoolValue(st.Complete) && !uforge.BoolValue(st.Error) && !uforge.BoolValue(st.Cancelled):
		return fmt.Sprintf("%d%%", uforge.IntValue(st.Percentage))
	}
	return "Error"
}

func distName(d *uforge.Distribution) string {
	if d == nil {
		return ""
	}
	return strings.TrimSpace(uforge.StrValue(d.Name) + " " + uforge.StrValue(d.Version) + " " + uforge.StrValue(d.Arch))
}

// ScanList is `scan list`: the scanned instances and, under each, its scans.
func ScanList(ctx context.Context, e *Env) error {
	sis, err := e.Client.ScannedInstances(ctx, e.User)
	if err != nil {
		return err
	}
	rows := []InstanceRow{}
	var table [][]string
	for _, si := range sis.ScannedInstances {
		r := InstanceRow{ID: uforge.Int64Value(si.DBID), Name: uforge.StrValue(si.Name), Distribution: distName(si.Distribution),
			Overlay: uforge.BoolValue(si.OverlayIncluded), Scans: []ScanRow{}}
		table = append(table, []string{strconv.FormatInt(r.ID, 10), r.Name, "", r.Distribution, mark(r.Overlay)})
		for _, sc := range si.Scans {
			s := ScanRow{ID: uforge.Int64Value(sc.DBID), Name: uforge.StrValue(sc.Name), Status: scanStatus(sc.Status)}
			if sc.Status != nil {
				s.Percentage, s.Message = uforge.IntValue(sc.Status.Percentage), uforge.StrValue(sc.Status.Message)
			}
			if sc.Created != nil {
				s.Created = *sc.Created
			}
			r.Scans = append(r.Scans, s)
			table = append(table, []string{"  " + strconv.FormatInt(s.ID, 10), "  " + s.Name, s.Status, fmtTime(sc.Created), ""})
		}
		rows = append(rows, r)
	}
	if e.JSON {
		return e.PrintJSON(rows)
	}
	e.Table([]string{"Id", "Name", "Status", "Distribution / Date", "Overlay"}, table, "No scans")
	return nil
}

// findScan returns the instance and the scan with id sid.
func (e *Env) findScan(ctx context.Context, sid int64) (*uforge.ScannedInstance, *uforge.Scan, error) {
	sis, err := e.Client.ScannedInstances(ctx, e.User)
	if err != nil {
		return nil, nil, err
	}
	for i := range sis.ScannedInstances {
		si := &sis.ScannedInstances[i]
		for j := range si.Scans {
			if uforge.Int64Value(si.Scans[j].DBID) == sid {
				return si, &si.Scans[j], nil
			}
		}
	}
	return nil, nil, fmt.Errorf("scan not found: no scan with id %d (see scan list)", sid)
}

// ScanDelete is `scan delete --id N [--scantype scan|instance|all] [--scansonly]`.
func ScanDelete(ctx context.Context, e *Env, id int64, scanType string, scansOnly, noPrompt bool) error {
	switch scanType {
	case "", "scan":
		si, sc, err := e.findScan(ctx, id)
		if err != nil {
			return err
		}
		if err := e.confirmOrSkip(noPrompt, fmt.Sprintf("Do you really want to delete scan %d (%s) of %s?", id, uforge.StrValue(sc.Name), uforge.StrValue(si.Name))); err != nil {
			return err
		}
		if err := e.Client.DeleteScan(ctx, e.User, uforge.Int64Value(si.DBID), id); err != nil {
			return err
		}
		e.done(fmt.Sprintf("Scan %d deleted", id), map[string]any{"deleted": "scan", "id": id})
	case "instance":
		sis, err := e.Client.ScannedInstances(ctx, e.User)
		if err != nil {
			return err
		}
		var si *uforge.ScannedInstance
		for i := range sis.ScannedInstances {
			if uforge.Int64Value(sis.ScannedInstances[i].DBID) == id {
				si = &sis.ScannedInstances[i]
			}
		}
		if si == nil {
			return fmt.Errorf("scanned instance not found: no instance with id %d (see scan list)", id)
		}
		what := fmt.Sprintf("scanned instance %d (%s) and its %d scans", id, uforge.StrValue(si.Name), len(si.Scans))
		if scansOnly {
			what = fmt.Sprintf("the %d scans of scanned instance %d (%s)", len(si.Scans), id, uforge.StrValue(si.Name))
		}
		if err := e.confirmOrSkip(noPrompt, "Do you really want to delete "+what+"?"); err != nil {
			return err
		}
		if scansOnly {
			err = e.Client.DeleteInstanceScans(ctx, e.User, id)
		} else {
			err = e.Client.DeleteScannedInstance(ctx, e.User, id)
		}
		if err != nil {
			return err
		}
		e.done("Deleted "+what, map[string]any{"deleted": "instance", "id": id, "scansOnly": scansOnly})
	case "all":
		if err := e.confirmOrSkip(noPrompt, "Do you really want to delete all your scanned instances and scans?"); err != nil {
			return err
		}
		if err := e.Client.DeleteScannedInstances(ctx, e.User); err != nil {
			return err
		}
		e.done("All scanned instances deleted", map[string]any{"deleted": "all"})
	default:
		return fmt.Errorf("--scantype %q: want scan, instance or all", scanType)
	}
	return nil
}

// done reports a finished action: text, or JSON.
func (e *Env) done(text string, v any) {
	if e.JSON {
		_ = e.PrintJSON(v)
		return
	}
	e.Info("%s", text)
}

// ScanBuild is `scan build --id SID --file F` (contract §8.6): one image per
// builder from a complete scan; every builder needs installation.diskSize and
// hardwareSettings.memory.
func ScanBuild(ctx context.Context, e *Env, sid int64, file string) error {
	si, sc, err := e.findScan(ctx, sid)
	if err != nil {
		return err
	}
	if st := sc.Status; st == nil || !uforge.BoolValue(st.Complete) || uforge.BoolValue(st.Error) || uforge.BoolValue(st.Cancelled) {
		return fmt.Errorf("Impossible to generate this scan: scan %d is %s", sid, strings.ToLower(scanStatus(st)))
	}
	reqs, err := e.prepare(ctx, file, hammr.RequestOptions{Scan: true})
	if err != nil {
		return err
	}
	siid := uforge.Int64Value(si.DBID)
	e.Info("Scan %d of %s: %d builders", sid, uforge.StrValue(si.Name), len(reqs))
	return e.generate(ctx, reqs, func(img *uforge.Image) (*uforge.Image, error) {
		return e.Client.GenerateScanImage(ctx, e.User, siid, sid, img)
	})
}

// ScanRunOptions is `scan run` on this machine.
type ScanRunOptions struct {
	Name    string
	Overlay bool
	Exclude []string
	Root    string // default "/"
	TempDir string
	Version string // of the agent, for the report
	Logger  *slog.Logger
}

// ScanResult is `scan run --output json`.
type ScanResult struct {
	InstanceID int64  `json:"instanceId"`
	ScanID     int64  `json:"scanId"`
	Status     string `json:"status"`
	Overlay    int64  `json:"overlayBytes"`
}

// ScanRun is `scan run --name NAME` without --ip: the agent runs in this
// process on this machine (or on the system mounted at Root) and sends the
// scan as the user of the settings.
func ScanRun(ctx context.Context, e *Env, o ScanRunOptions) error {
	if strings.TrimSpace(o.Name) == "" {
		return errors.New("--name is required: the scanned instance to create or add to")
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	agent := *e.Client
	agent.UserAgent = "kiln-scan/" + o.Version
	var progress io.Writer = e.Err
	res, err := upload.Run(ctx, upload.Options{
		Client: &agent, User: e.User, Name: o.Name, Root: o.Root, Overlay: o.Overlay, Exclude: o.Exclude,
		TempDir: o.TempDir, AgentVersion: "kiln-scan/" + o.Version, Progress: progress, Logger: log,
	})
	if err != nil {
		return err
	}
	return e.awaitScan(ctx, res.InstanceID, res.ScanID, res.Size)
}

// awaitScan follows a scan until it is final and reports it.
func (e *Env) awaitScan(ctx context.Context, siid, sid, overlay int64) error {
	var sc *uforge.Scan
	for {
		var err error
		if sc, err = e.Client.GetScan(ctx, e.User, siid, sid); err != nil {
			return err
		}
		if Terminal(sc.Status) {
			break
		}
		if err := sleep(ctx, e.poll()); err != nil {
			return err
		}
	}
	st := sc.Status
	res := ScanResult{InstanceID: siid, ScanID: sid, Status: statusWord(st), Overlay: overlay}
	if e.JSON {
		if err := e.PrintJSON(res); err != nil {
			return err
		}
	}
	switch {
	case uforge.BoolValue(st.Error):
		return fmt.Errorf("scan %d failed: %s", sid, firstLine(uforge.StrValue(st.ErrorMessage), uforge.StrValue(st.Message), uforge.StrValue(st.DetailedErrorMsg)))
	case uforge.BoolValue(st.Cancelled):
		return fmt.Errorf("scan %d cancelled", sid)
	}
	e.Info("Scan successful\nScanned instance Id : %d\nScan Id : %d", siid, sid)
	return nil
}

// checkInstance applies hammr's rule before a scan: an existing instance
// keeps its overlay mode.
func (e *Env) checkInstance(ctx context.Context, name string, overlay bool) (*uforge.ScannedInstance, error) {
	si, err := e.Client.FindScannedInstance(ctx, e.User, name)
	if err != nil {
		return nil, err
	}
	if si != nil && uforge.BoolValue(si.OverlayIncluded) != overlay {
		kind := "regular scan"
		if overlay {
			kind = "scan with overlay"
		}
		return nil, fmt.Errorf("Performing %s into the scanned instance [%s] is not allowed", kind, name)
	}
	return si, nil
}
