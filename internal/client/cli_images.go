package client

// Calls of the kiln CLI on images (from appliances and from scans) and on
// scanned instances. Image calls take the image's uri as the server wrote it
// (users/{u}/appliances/{a}/images/{i} or users/{u}/scannedinstances/{s}/scans/{sc}/images/{i}),
// so the same call serves both kinds.

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/kilnhq/kiln/internal/uforge"
)

// GenerateImage asks for an image of an appliance (machineImage_generate) and
// returns the ticket, whose status is present.
func (c *Client) GenerateImage(ctx context.Context, user string, aid int64, img *uforge.Image) (*uforge.Image, error) {
	var out uforge.Image
	if err := c.Do(ctx, http.MethodPost, AppliancePath(user, aid)+"/images", nil, img, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GenerateScanImage asks for an image of a scan (scanImage_generate).
func (c *Client) GenerateScanImage(ctx context.Context, user string, instanceID, scanID int64, img *uforge.Image) (*uforge.Image, error) {
	var out uforge.Image
	if err := c.Do(ctx, http.MethodPost, ScanPath(user, instanceID, scanID)+"/images", nil, img, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// UserImages lists every image of user, from appliances and scans.
func (c *Client) UserImages(ctx context.Context, user string) (*uforge.Images, error) {
	var out uforge.Images
	if err := c.Do(ctx, http.MethodGet, PathEscape("users", user, "images"), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// uriPath checks that uri is a relative resource uri of the API.
func uriPath(uri string) (string, error) {
	uri = strings.Trim(uri, "/")
	if uri == "" || strings.Contains(uri, "://") || strings.ContainsAny(uri, "?#") {
		return "", fmt.Errorf("client: %q is not a resource uri", uri)
	}
	return uri, nil
}

// Image reads an image by its uri.
func (c *Client) Image(ctx context.Context, uri string) (*uforge.Image, error) {
	p, err := uriPath(uri)
	if err != nil {
		return nil, err
	}
	var out uforge.Image
	if err := c.Do(ctx, http.MethodGet, p, nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ImageStatus reads the status of the image at uri (GET uri/status).
func (c *Client) ImageStatus(ctx context.Context, uri string) (*uforge.OpStatus, error) {
	p, err := uriPath(uri)
	if err != nil {
		return nil, err
	}
	var out uforge.OpStatus
	if err := c.Do(ctx, http.MethodGet, p+"/status", nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// CancelImage cancels the generation of the image at uri (DELETE uri/status).
func (c *Client) CancelImage(ctx context.Context, uri string) (*uforge.OpStatus, error) {
	p, err := uriPath(uri)
	if err != nil {
		return nil, err
	}
	var out uforge.OpStatus
	if err := c.Do(ctx, http.MethodDelete, p+"/status", nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteImage deletes the image at uri (a running one is cancelled first).
func (c *Client) DeleteImage(ctx context.Context, uri string) error {
	p, err := uriPath(uri)
	if err != nil {
		return err
	}
	return c.Do(ctx, http.MethodDelete, p, nil, nil, nil)
}

// RegenerateImage generates the appliance image at uri again as a new image
// (machineImage_regenerate): its request planned against the appliance as it
// is now, or with reproduce its stored plan unchanged (a Kiln extension);
// force cancels a running generation of the same appliance and format first.
func (c *Client) RegenerateImage(ctx context.Context, uri string, force, reproduce bool) (*uforge.Image, error) {
	p, err := uriPath(uri)
	if err != nil {
		return nil, err
	}
	q := url.Values{}
	if force {
		q.Set("force", "true")
	}
	if reproduce {
		q.Set("reproduce", "true")
	}
	var out uforge.Image
	if err := c.Do(ctx, http.MethodPost, p, q, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// OpenDownload starts the download of an image from its downloadUri (relative
// to the base, carrying its one-time downloadId). It sends no credentials, as
// hammr does: the downloadId is the authorization. The caller closes the body
// of the 2xx answer; any other answer is an error.
func (c *Client) OpenDownload(ctx context.Context, downloadURI string) (*http.Response, error) {
	u := strings.TrimPrefix(downloadURI, "/")
	if u == "" || strings.Contains(u, "://") {
		return nil, fmt.Errorf("client: %q is not a download uri", downloadURI)
	}
	anon := *c
	anon.User, anon.Password, anon.PublicKey, anon.SecretKey = "", "", "", ""
	resp, err := anon.Send(ctx, http.MethodGet, u, nil, "", nil)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, fmt.Errorf("GET %s: %w", stripQuery(u), readError(resp))
	}
	return resp, nil
}

// stripQuery leaves the one-time key out of messages.
func stripQuery(u string) string {
	if i := strings.IndexByte(u, '?'); i >= 0 {
		return u[:i]
	}
	return u
}

// ScannedInstances lists user's scanned instances with their scans.
func (c *Client) ScannedInstances(ctx context.Context, user string) (*uforge.ScannedInstances, error) {
	var out uforge.ScannedInstances
	if err := c.Do(ctx, http.MethodGet, ScannedInstancesPath(user), url.Values{"includeScans": {"true"}}, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteScannedInstances deletes every scanned instance of user.
func (c *Client) DeleteScannedInstances(ctx context.Context, user string) error {
	return c.Do(ctx, http.MethodDelete, ScannedInstancesPath(user), nil, nil, nil)
}

// DeleteScannedInstance deletes one scanned instance with its scans.
func (c *Client) DeleteScannedInstance(ctx context.Context, user string, instanceID int64) error {
	return c.Do(ctx, http.MethodDelete, ScannedInstancesPath(user)+"/"+itoa(instanceID), nil, nil, nil)
}

// DeleteInstanceScans deletes the scans of one instance, keeping the instance.
func (c *Client) DeleteInstanceScans(ctx context.Context, user string, instanceID int64) error {
	return c.Do(ctx, http.MethodDelete, ScansPath(user, instanceID), nil, nil, nil)
}

// DeleteScan deletes one scan.
func (c *Client) DeleteScan(ctx context.Context, user string, instanceID, scanID int64) error {
	return c.Do(ctx, http.MethodDelete, ScanPath(user, instanceID, scanID), nil, nil, nil)
}
