package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/kilnhq/kiln/internal/client"
	"github.com/kilnhq/kiln/internal/record"
	"github.com/kilnhq/kiln/internal/uforge"
)

// ImageFidelity is `image fidelity --id N`: for an image generated from a
// scan, what of the scanned machine the image has, file by file and package
// by package (missing, differing, and the image's extra packages).
func ImageFidelity(ctx context.Context, e *Env, id int64) error {
	img, err := e.findImage(ctx, id)
	if err != nil {
		return err
	}
	uri := uforge.StrValue(img.URI)
	if !scanImageRe.MatchString(uri) {
		return fmt.Errorf("image %d was generated from a template: only images of scans have a fidelity report", id)
	}
	resp, err := e.Client.Send(ctx, http.MethodGet, uri+"/fidelity", nil, "", nil)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return client.ErrorFrom(resp)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("fidelity report: %w", err)
	}
	if e.JSON {
		_, err := e.Out.Write(body)
		return err
	}
	var r record.Fidelity // GET …/images/{id}/fidelity
	if err := json.Unmarshal(body, &r); err != nil {
		return fmt.Errorf("fidelity report: %w", err)
	}
	w := e.Out
	fmt.Fprintf(w, "Files:    %d of %d scanned files identical, %d missing, %d differing (%d kept from the build by design)\n",
		r.Files.Same, r.Files.Compared, r.Files.MissingCount, r.Files.DifferingCount, r.Files.SkippedCount)
	for _, p := range r.Files.Missing {
		fmt.Fprintf(w, "  missing    %s\n", p)
	}
	for _, d := range r.Files.Differing {
		fmt.Fprintf(w, "  differs    %s (%s: source %s, image %s)\n", d.Path, d.What, d.Source, d.Image)
	}
	fmt.Fprintf(w, "Packages: %d of %d scanned packages identical, %d missing, %d in another version, %d extra\n",
		r.Packages.Same, r.Packages.Compared, len(r.Packages.Missing), len(r.Packages.Differing), len(r.Packages.Extra))
	for _, p := range r.Packages.Missing {
		fmt.Fprintf(w, "  missing    %s\n", p)
	}
	for _, d := range r.Packages.Differing {
		fmt.Fprintf(w, "  version    %s (source %s, image %s)\n", d.Name, d.Source, d.Image)
	}
	if len(r.Packages.Extra) > 0 {
		fmt.Fprintf(w, "  extra      %s\n", strings.Join(r.Packages.Extra, " "))
	}
	for _, a := range r.Accounts {
		fmt.Fprintf(w, "Account:  %s %s has id %d in the image, %d on the source\n", a.Kind, a.Name, a.Image, a.Source)
	}
	if len(r.KernelParametersDropped) > 0 {
		fmt.Fprintf(w, "Kernel:   %d parameters of the source left out\n", len(r.KernelParametersDropped))
		for _, d := range r.KernelParametersDropped {
			fmt.Fprintf(w, "  dropped    %s (%s)\n", d.Parameter, d.Reason)
		}
	}
	return nil
}
