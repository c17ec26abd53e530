package cli

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"mime"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kilnhq/kiln/internal/uforge"
)

// Image uris (contract §1.1): from a template or from a scan.
var (
	applianceImageRe = regexp.MustCompile(`^users/[^/]+/appliances/([0-9]+)/images/([0-9]+)$`)
	scanImageRe      = regexp.MustCompile(`^users/[^/]+/scannedinstances/([0-9]+)/scans/([0-9]+)/images/([0-9]+)$`)
)

// ImageRow is one image in `image list --output json`.
type ImageRow struct {
	ID           int64     `json:"id"`
	Name         string    `json:"name"`
	Version      string    `json:"version"`
	Revision     int       `json:"revision"`
	TargetFormat string    `json:"targetFormat"`
	Created      time.Time `json:"created,omitzero"`
	FileSize     int64     `json:"fileSize"`
	Compressed   bool      `json:"compressed"`
	Status       string    `json:"status"` // complete | error | cancelled | running
	Percentage   int       `json:"percentage"`
	Message      string    `json:"message,omitempty"`
	Source       string    `json:"source"` // template | scan
	SourceURI    string    `json:"sourceUri"`
	URI          string    `json:"uri"`
	SHA256       string    `json:"sha256,omitempty"`
}

func imageRow(img *uforge.Image) ImageRow {
	r := ImageRow{ID: uforge.Int64Value(img.DBID), Name: uforge.StrValue(img.Name), Version: uforge.StrValue(img.Version),
		Revision: uforge.IntValue(img.Revision), FileSize: uforge.Int64Value(img.FileSize), Compressed: uforge.BoolValue(img.Compress),
		Status: statusWord(img.Status), SourceURI: uforge.StrValue(img.ParentURI), URI: uforge.StrValue(img.URI),
		SHA256: uforge.StrValue(img.SHA256Sum), Source: "template"}
	if img.TargetFormat != nil {
		r.TargetFormat = uforge.StrValue(img.TargetFormat.Name)
	}
	if img.Created != nil {
		r.Created = *img.Created
	}
	if st := img.Status; st != nil {
		r.Percentage, r.Message = uforge.IntValue(st.Percentage), uforge.StrValue(st.Message)
	}
	if scanImageRe.MatchString(r.URI) {
		r.Source = "scan"
	}
	return r
}

// ImageList is `image list`: every image of the user, from templates and
// scans, sorted by name (contract §8.2).
func ImageList(ctx context.Context, e *Env) error {
	imgs, err := e.Client.UserImages(ctx, e.User)
	if err != nil {
		return err
	}
	list := imgs.Images
	slices.SortStableFunc(list, func(a, b uforge.Image) int {
		return cmp.Or(strings.Compare(uforge.StrValue(a.Name), uforge.StrValue(b.Name)), cmp.Compare(uforge.Int64Value(a.DBID), uforge.Int64Value(b.DBID)))
	})
	rows := []ImageRow{}
	var table [][]string
	for i := range list {
		r := imageRow(&list[i])
		rows = append(rows, r)
		table = append(table, []string{strconv.FormatInt(r.ID, 10), r.Name, r.Version, strconv.Itoa(r.Revision), r.TargetFormat,
			fmtTime(&r.Created), fmtSize(r.FileSize), mark(r.Compressed), StatusText(list[i].Status)})
	}
	if e.JSON {
		return e.PrintJSON(rows)
	}
	e.Table([]string{"Id", "Name", "Version", "Rev.", "Format", "Created", "Size", "Compressed", "Generation Status"}, table, "No images")
	if len(rows) > 0 {
		e.Info("Found %d images", len(rows))
	}
	return nil
}

// findImage is hammr's lookup: the user's images, then the one with that id.
func (e *Env) findImage(ctx context.Context, id int64) (*uforge.Image, error) {
	imgs, err := e.Client.UserImages(ctx, e.User)
	if err != nil {
		return nil, err
	}
	for i := range imgs.Images {
		if uforge.Int64Value(imgs.Images[i].DBID) == id {
			return &imgs.Images[i], nil
		}
	}
	return nil, fmt.Errorf("image not found: no image with id %d", id)
}

// ImageDetails is `image info --output json`.
type ImageDetails struct {
	ImageRow
	ErrorMessage string `json:"errorMessage,omitempty"`
	SourceName   string `json:"sourceName,omitempty"`
	OS           string `json:"os,omitempty"`
	DiskSize     int64  `json:"diskSizeMB,omitempty"`
	MemorySize   int64  `json:"memorySizeMB,omitempty"`
	Entrypoint   string `json:"entrypoint,omitempty"`
	FileName     string `json:"fileName,omitempty"`
}

// ImageInfo is `image info --id N`: the image, its status and its source.
func ImageInfo(ctx context.Context, e *Env, id int64) error {
	img, err := e.findImage(ctx, id)
	if err != nil {
		return err
	}
	d := ImageDetails{ImageRow: imageRow(img), Entrypoint: uforge.StrValue(img.Entrypoint), FileName: uforge.StrValue(img.FileName)}
	if st := img.Status; st != nil && uforge.BoolValue(st.Error) {
		d.ErrorMessage = uforge.StrValue(st.ErrorMessage)
	}
	if ip := img.InstallProfile; ip != nil {
		d.DiskSize, d.MemorySize = uforge.Int64Value(ip.DiskSize), uforge.Int64Value(ip.MemorySize)
	}
	if m := applianceImageRe.FindStringSubmatch(d.URI); m != nil {
		aid, _ := strconv.ParseInt(m[1], 10, 64)
		if a, err := e.Client.Appliance(ctx, e.User, aid); err == nil {
			d.SourceName = fmt.Sprintf("%s %s (template %d)", uforge.StrValue(a.Name), uforge.StrValue(a.Version), aid)
			d.OS = strings.TrimSpace(uforge.StrValue(a.DistributionName) + " " + uforge.StrValue(a.ArchName))
		}
	} else if m := scanImageRe.FindStringSubmatch(d.URI); m != nil {
		siid, _ := strconv.ParseInt(m[1], 10, 64)
		if sis, err := e.Client.ScannedInstances(ctx, e.User); err == nil {
			for _, si := range sis.ScannedInstances {
				if uforge.Int64Value(si.DBID) == siid {
					d.SourceName = fmt.Sprintf("%s (scanned instance %d, scan %s)", uforge.StrValue(si.Name), siid, m[2])
					if dist := si.Distribution; dist != nil {
						d.OS = strings.TrimSpace(uforge.StrValue(dist.Name) + " " + uforge.StrValue(dist.Version) + " " + uforge.StrValue(dist.Arch))
					}
				}
			}
		}
	}
	if e.JSON {
		return e.PrintJSON(d)
	}
	state := "Generating"
	switch d.Status {
	case "error":
		state = "Error"
	case "cancelled":
		state = "Cancelled"
	case "complete":
		state = "Done"
	}
	rows := [][]string{
		{"Id", strconv.FormatInt(d.ID, 10)}, {"Name", d.Name}, {"Version", d.Version}, {"Revision", strconv.Itoa(d.Revision)},
		{"Format", d.TargetFormat}, {"Created", fmtTime(&d.Created)}, {"Size", fmtSize(d.FileSize)}, {"Compressed", mark(d.Compressed)},
		{"Source", d.SourceName}, {"OS", d.OS}, {"URI", d.URI}, {"Status", state}, {"Message", d.Message},
	}
	if d.ErrorMessage != "" {
		rows = append(rows, []string{"Error", d.ErrorMessage})
	}
	if d.Entrypoint != "" {
		rows = append(rows, []string{"Entrypoint", d.Entrypoint})
	}
	if d.SHA256 != "" {
		rows = append(rows, []string{"SHA-256", d.SHA256})
	}
	e.Table([]string{"Info", "Value"}, rows, "")
	return nil
}

// ImageCancel is `image cancel --id N`: only a running generation.
func ImageCancel(ctx context.Context, e *Env, id int64, noPrompt bool) error {
	img, err := e.findImage(ctx, id)
	if err != nil {
		return err
	}
	if st := img.Status; st != nil && (uforge.BoolValue(st.Complete) || uforge.BoolValue(st.Cancelled) || uforge.BoolValue(st.Error)) {
		return fmt.Errorf("image %d is not being generated (%s): nothing to cancel", id, StatusText(st))
	}
	if err := e.confirmOrSkip(noPrompt, fmt.Sprintf("Do you really want to cancel the generation of image %d (%s)?", id, uforge.StrValue(img.Name))); err != nil {
		return err
	}
	st, err := e.Client.CancelImage(ctx, uforge.StrValue(img.URI))
	if err != nil {
		return err
	}
	if e.JSON {
		return e.PrintJSON(map[string]any{"id": id, "status": statusWord(st)})
	}
	e.Info("Image %d: generation cancelled", id)
	return nil
}

// ImageDelete is `image delete --id N` (a running generation is cancelled first).
func ImageDelete(ctx context.Context, e *Env, id int64, noPrompt bool) error {
	img, err := e.findImage(ctx, id)
	if err != nil {
		return err
	}
	if err := e.confirmOrSkip(noPrompt, fmt.Sprintf("Do you really want to delete image %d (%s %s, %s)?", id,
		uforge.StrValue(img.Name), uforge.StrValue(img.Version), StatusText(img.Status))); err != nil {
		return err
	}
	if err := e.Client.DeleteImage(ctx, uforge.StrValue(img.URI)); err != nil {
		return err
	}
	if e.JSON {
		return e.PrintJSON(map[string]any{"deleted": id})
	}
	e.Info("Image %d deleted", id)
	return nil
}

// ImageRegenerate is `image regenerate --id N`: a template image's request
// generated again from the template as it is now (or, with reproduce, its
// stored plan unchanged), a scan image's stored plan executed again, as a new
// image (revision + 1), followed like a build.
func ImageRegenerate(ctx context.Context, e *Env, id int64, force, reproduce bool) error {
	img, err := e.findImage(ctx, id)
	if err != nil {
		return err
	}
	uri := uforge.StrValue(img.URI)
	ticket, err := e.Client.RegenerateImage(ctx, uri, force, reproduce)
	if err != nil {
		return err
	}
	name := "image"
	if img.TargetFormat != nil {
		name = uforge.StrValue(img.TargetFormat.Name)
	}
	e.Info("Regenerating image %d as image %d (revision %d)", id, uforge.Int64Value(ticket.DBID), uforge.IntValue(ticket.Revision))
	out, err := e.Follow(ctx, name, uforge.StrValue(ticket.URI), ticket.Status)
	if err != nil {
		return err
	}
	rerr := e.Report(name, ticket, out)
	if e.JSON {
		res := GenerationResult{Type: name, TargetFormat: name, ImageID: uforge.Int64Value(ticket.DBID), URI: uforge.StrValue(ticket.URI),
			Status: statusWord(out.Status), Message: uforge.StrValue(out.Status.Message)}
		if err := e.PrintJSON(res); err != nil {
			return err
		}
	}
	return rerr
}

// Downloaded is `image download --output json`.
type Downloaded struct {
	ID     int64  `json:"id"`
	File   string `json:"file"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// ImageDownload is `image download --id N --file F`: the image streamed from
// its downloadUri (no credentials: the one-time key is the authorization),
// with a progress bar, checked against X-Checksum-Sha256 before it is renamed
// into place. F may be a directory: the server's file name is used there.
func ImageDownload(ctx context.Context, e *Env, id int64, file string) error {
	img, err := e.findImage(ctx, id)
	if err != nil {
		return err
	}
	st := img.Status
	if st == nil || !uforge.BoolValue(st.Complete) || uforge.BoolValue(st.Error) {
		return fmt.Errorf("cannot download image %d: its generation is not complete (%s)", id, StatusText(st))
	}
	if !uforge.BoolValue(img.Compress) || uforge.StrValue(img.DownloadURI) == "" {
		return fmt.Errorf("cannot download image %d: it was generated to be published (compress=false), not downloaded", id)
	}
	resp, err := e.Client.OpenDownload(ctx, uforge.StrValue(img.DownloadURI))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	want := strings.ToLower(strings.TrimSpace(resp.Header.Get("X-Checksum-Sha256")))
	if want == "" {
		want = strings.ToLower(uforge.StrValue(img.SHA256Sum))
	}
	if fi, err := os.Stat(file); err == nil && fi.IsDir() {
		name := uforge.StrValue(img.FileName)
		if _, params, err := mime.ParseMediaType(resp.Header.Get("Content-Disposition")); err == nil && params["filename"] != "" {
			name = params["filename"]
		}
		name = filepath.Base(name)
		if name == "" || name == "." || name == "/" {
			name = fmt.Sprintf("image-%d", id)
		}
		file = filepath.Join(file, name)
	}
	tmp, err := os.CreateTemp(filepath.Dir(file), "."+filepath.Base(file)+".part*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after a successful rename, a no-op
	h := sha256.New()
	b := NewBar(e.Err, e.ErrTTY, "Downloading", e.Now)
	pw := &progressWriter{total: resp.ContentLength, bar: b}
	n, err := io.Copy(io.MultiWriter(tmp, h, pw), resp.Body)
	b.Done()
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("download interrupted: %w", ctx.Err())
		}
		return fmt.Errorf("download: %w", err)
	}
	if resp.ContentLength >= 0 && n != resp.ContentLength {
		return fmt.Errorf("download: got %d bytes of %d", n, resp.ContentLength)
	}
	got := hex.EncodeToString(h.Sum(nil))
	if want != "" && got != want {
		return fmt.Errorf("download: SHA-256 %s, the server announced %s: the file is corrupt and was not kept", got, want)
	}
	if err := os.Rename(tmp.Name(), file); err != nil {
		return err
	}
	if e.JSON {
		return e.PrintJSON(Downloaded{ID: id, File: file, Size: n, SHA256: got})
	}
	check := "checksum verified"
	if want == "" {
		check = "no checksum announced"
	}
	e.Info("Image %d downloaded to %s (%s, SHA-256 %s, %s)", id, file, fmtSize(n), got, check)
	return nil
}

// progressWriter feeds a byte-count bar.
type progressWriter struct {
	done, total int64
	bar         *Bar
}

func (p *progressWriter) Write(b []byte) (int, error) {
	p.done += int64(len(b))
	p.bar.Bytes(p.done, p.total)
	return len(b), nil
}
