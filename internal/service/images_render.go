package service

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/kilnhq/kiln/internal/plan"
	"github.com/kilnhq/kiln/internal/store"
	"github.com/kilnhq/kiln/internal/target"
	"github.com/kilnhq/kiln/internal/uforge"
)

// imageURI is users/{login}/appliances/{aid}/images/{id}, or for an image
// generated from a scan users/{login}/scannedinstances/{siid}/scans/{sid}/images/{id}
// (contract §1.1; hammr parses them).
func imageURI(login string, img *store.Image) string {
	return fmt.Sprintf("%s/images/%d", parentURI(login, img), img.ID)
}

func parentURI(login string, img *store.Image) string {
	if img.ScanID != 0 {
		return scanURI(login, img.ScanInstanceID, img.ScanID)
	}
	return applianceURI(login, img.ApplianceID)
}

func trimURI(u string) string {
	u = strings.TrimPrefix(u, "/")
	if i := strings.Index(u, "users/"); i > 0 {
		u = u[i:]
	}
	return u
}

// requestEcho keeps what of a client's request the generation honours, to
// store it (regenerate plans it again) and echo it on the ticket. Of the
// install profile only the sizes and hardware type are honoured
// (applianceSpec, scanSpec): nothing else of it is kept, so no secret sent
// there can be stored or shown again.
func requestEcho(req *uforge.Image) *uforge.Image {
	e := &uforge.Image{Entrypoint: req.Entrypoint, Compress: req.Compress,
		EBS: req.EBS, EBSVolumeSize: req.EBSVolumeSize, Simulated: req.Simulated, ForceCheckingDeps: req.ForceCheckingDeps}
	if ip := req.InstallProfile; ip != nil {
		e.InstallProfile = &uforge.InstallProfile{DiskSize: ip.DiskSize, SwapSize: ip.SwapSize, MemorySize: ip.MemorySize, HWType: ip.HWType}
	}
	return e
}

// refusePasswords answers 400 to an image request carrying a password: a
// generation never takes accounts from its request (they come from the
// appliance's install profile, where passwords are stored hashed), so a
// password there is a secret sent to the wrong place, refused rather than
// silently dropped.
func refusePasswords(req *uforge.Image) error {
	ip := req.InstallProfile
	if ip == nil {
		return nil
	}
	if ip.RootUser != nil && uforge.StrValue(ip.RootUser.Password) != "" {
		return invalid("image.password", "image/installProfile/rootUser/password: an image request takes no password; set it in the appliance's install profile (PUT …/installProfile), where it is stored hashed")
	}
	for i, u := range ip.Users {
		if uforge.StrValue(u.Password) != "" {
			return invalid("image.password", "image/installProfile/users/user[%d]/password: an image request takes no password; set it in the appliance's install profile (PUT …/installProfile), where it is stored hashed", i)
		}
	}
	return nil
}

// renderStatus is the OpStatus hammr polls; error strings are never null when error=true.
func renderStatus(login string, img *store.Image) *uforge.OpStatus {
	st := &uforge.OpStatus{
		Object:     uforge.Object{DBID: new(img.ID), Created: new(img.Created), LastModified: new(img.Modified)},
		Cancelled:  new(img.State == store.ImageCancelled),
		Complete:   new(img.State == store.ImageComplete),
		Error:      new(img.State == store.ImageError),
		Message:    new(img.Message),
		Percentage: new(img.Percentage),
		ParentURI:  new(imageURI(login, img)),
		URI:        new(imageURI(login, img) + "/status"),
	}
	if img.State == store.ImageError {
		msg := img.ErrorMsg
		if msg == "" {
			msg = img.Message
		}
		st.ErrorMessage = new(msg)
		st.DetailedError = new(img.DetailedErr != "")
		st.DetailedErrorMsg = new(img.DetailedErr)
	}
	if st.Message == nil || *st.Message == "" {
		st.Message = new(img.State)
	}
	return st
}

// renderImage is the image ticket: every field hammr reads is present
// (contract §4.1, §8.10). Only the owner (or an administrator) reads it, so
// an expired download key is renewed here: the link shown always works.
func (s *imageOps) renderImage(ctx context.Context, login string, img *store.Image) *uforge.Image {
	s.freshKey(ctx, img)
	uri := imageURI(login, img)
	out := planned(img) // read once: image lists render every image
	f, _ := target.ByID(img.FormatID)
	tf := renderTargetFormat(f, true)
	w := &uforge.Image{
		UploadObject: uforge.UploadObject{
			Object: uforge.Object{Created: new(img.Created), DBID: new(img.ID), LastModified: new(img.Modified)},
			Size:   new(img.FileSize),
			Status: renderStatus(login, img),
		},
		ParentURI:     new(parentURI(login, img)),
		Compress:      new(img.Compress),
		FileExtension: new(f.Extension),
		FileSize:      new(img.FileSize),
		Format:        tf.Format,
		TargetFormat:  &tf,
		ImageCreated:  new(img.State == store.ImageComplete),
		Name:          new(img.Name),
		OrgURI:        new(orgURI()),
		PkgsURI:       new(uri + "/pkgs"),
		Revision:      new(img.Revision),
		StatusURI:     new(uri + "/status"),
		URI:           new(uri),
		Version:       new(img.Version),
	}
	if img.SHA256 != "" {
		w.SHA256Sum = new(img.SHA256)
	}
	if img.State == store.ImageComplete {
		w.FileName = new(fileName(img, out.extension))
	}
	if img.Compress {
		w.DownloadKey = new(img.DownloadKey)
		w.DownloadURI = new(uri + "/downloads?downloadId=" + img.DownloadKey)
	}
	var stored uforge.Image
	if len(img.Request) > 0 && json.Unmarshal(img.Request, &stored) == nil {
		// Requests stored before requestEcho kept only what is honoured may
		// hold more: it is filtered again on the way out.
		echo := requestEcho(&stored)
		w.InstallProfile = echo.InstallProfile
		w.Entrypoint = echo.Entrypoint
	}
	if w.InstallProfile == nil {
		w.InstallProfile = &uforge.InstallProfile{}
	}
	if mem := out.memoryMB; w.InstallProfile.MemorySize == nil && mem > 0 {
		w.InstallProfile.MemorySize = new(mem)
	}
	return w
}

// plannedOutput is what an image's plan says of its artifact, as rendered.
type plannedOutput struct {
	memoryMB  int64
	extension string
}

// planned reads the two facts an image's answer needs from its stored plan
// without decoding all of it (image lists render every image).
func planned(img *store.Image) plannedOutput {
	var doc struct {
		Version int `json:"planVersion"`
		Spec    struct {
			Output struct {
				MemoryMB int64 `json:"memoryMB"`
			} `json:"output"`
		} `json:"spec"`
		Artifact struct {
			Extension string `json:"extension"`
		} `json:"artifact"`
	}
	if err := json.Unmarshal(img.Spec, &doc); err == nil && doc.Version > 0 {
		return plannedOutput{doc.Spec.Output.MemoryMB, doc.Artifact.Extension}
	}
	// Stored before plans existed: a bare spec, planned now.
	pl, err := plan.Decode(img.Spec)
	if err != nil {
		return plannedOutput{}
	}
	return plannedOutput{pl.Spec.Output.MemoryMB, pl.Artifact.Extension}
}

// artifactFileName is the name a download is served under: the image's
// name, version and revision, and the extension its plan gave the file.
func artifactFileName(img *store.Image) string { return fileName(img, planned(img).extension) }

// fileName is the served name of img with the extension its plan gave it.
func fileName(img *store.Image, ext string) string {
	return fmt.Sprintf("%s-%s-r%d%s", HostnameFor(img.Name), HostnameFor(img.Version), img.Revision, ext)
}
