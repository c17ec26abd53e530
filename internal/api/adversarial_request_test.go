package api_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/kilnhq/kiln/internal/store"
)

// imageRequest is an image request for format with the given extra elements.
func imageRequest(format, extra string) string {
	return `<ns0:image ` + ns + `><compress>true</compress><targetFormat><name>` + format + `</name></targetFormat>` + extra + `</ns0:image>`
}

func sizes(elems string) string { return `<installProfile>` + elems + `</installProfile>` }

// hostileRequests are image requests a generation must not start from; the
// request may override sizes, memory, hardware version and a container's
// entrypoint (contract §4.1), so those are what is attacked.
func hostileRequests() []hostile {
	return []hostile{
		{name: "negative disk size", body: imageRequest("QCOW2", sizes(`<diskSize>-1</diskSize>`)), field: "diskSize"},
		{name: "huge disk size", body: imageRequest("QCOW2", sizes(`<diskSize>`+maxInt64+`</diskSize>`)), field: "diskSize"},
		{name: "negative swap size", body: imageRequest("QCOW2", sizes(`<swapSize>-1</swapSize>`)), field: "swapSize"},
		{name: "huge swap size", body: imageRequest("QCOW2", sizes(`<swapSize>`+maxInt64+`</swapSize>`)), field: "swapSize"},
		{name: "negative memory", body: imageRequest("VirtualBox", sizes(`<memorySize>-1</memorySize>`)), field: "memory"},
		{name: "huge memory", body: imageRequest("VirtualBox", sizes(`<memorySize>`+maxInt64+`</memorySize>`)), field: "memory"},
		{name: "hardware version with a path", body: imageRequest("VMware Server", sizes(`<hwType>../../etc/passwd</hwType>`)), field: "hwType"},
		{name: "hardware version with a newline", body: imageRequest("VMware Server", sizes(`<hwType>11&#10;evil = "TRUE"</hwType>`)), field: "hwType"},
		{name: "entrypoint cut short", body: imageRequest("Docker", `<entrypoint>["/bin/sh",</entrypoint>`), field: "entrypoint"},
		{name: "entrypoint without a program", body: imageRequest("Docker", `<entrypoint>["", "-c", "id"]</entrypoint>`), field: "entrypoint"},
		{name: "1 MiB entrypoint", body: imageRequest("Docker", `<entrypoint>["`+strings.Repeat("a", 1<<20)+`"]</entrypoint>`),
			status: http.StatusRequestEntityTooLarge, field: "larger than"},
	}
}

// TestAdversarialImageRequests sends each hostile request for an appliance
// of the caller's own (one each: a request accepted while skipped starts a
// generation): 400 naming the field, no image created, the appliance unchanged.
func TestAdversarialImageRequests(t *testing.T) {
	t.Parallel()
	eachCase(t, hostileRequests(), nil, func(t *testing.T, e *env, c *client, i int, h hostile) {
		aid := templateWithOS(t, c, "web-"+strconv.Itoa(i))
		base := "/users/alice/appliances/" + aid + "/images"
		h.refused(t, func() any { return e.appliance(t, aid) }, func() *reply { return c.do("POST", base, h.body) })
		c.do("GET", base, "").expect(http.StatusOK).has("<total>0</total>")
	})
}

// TestAdversarialScanImageRequests: the same for images of a scan (one scan
// each), whose sizes come from the scanned machine unless the request
// overrides them.
func TestAdversarialScanImageRequests(t *testing.T) {
	t.Parallel()
	cases := []hostile{
		{name: "negative disk size", body: imageRequest("QCOW2", sizes(`<diskSize>-1</diskSize><swapSize>1</swapSize>`)), field: "diskSize"},
		{name: "huge disk size", body: imageRequest("QCOW2", sizes(`<diskSize>`+maxInt64+`</diskSize>`)), field: "diskSize"},
		{name: "negative swap size", body: imageRequest("QCOW2", sizes(`<swapSize>-1</swapSize>`)), field: "swapSize"},
		{name: "huge swap size", body: imageRequest("QCOW2", sizes(`<swapSize>`+maxInt64+`</swapSize>`)), field: "swapSize"},
		{name: "negative memory", body: imageRequest("VirtualBox", sizes(`<memorySize>-1</memorySize>`)), field: "memory"},
	}
	eachCase(t, cases, tenantRoles, func(t *testing.T, e *env, c *client, i int, h hostile) {
		scanPath := newScan(t, c, "box-"+strconv.Itoa(i))
		c.doRaw("POST", scanPath+"/overlay", string(goodOverlay(t)), octets).expect(http.StatusCreated)
		h.refused(t, func() any { return e.scanRows(t, scanPath) }, func() *reply { return c.do("POST", scanPath+"/images", h.body) })
	})
}

// scanRows reads the stored row of the scan at scanPath and its images' rows
// (none, while every request for it is refused).
func (e *env) scanRows(t *testing.T, scanPath string) []any {
	t.Helper()
	sc := e.scan(t, scanPath)
	images, err := e.st.ListImages(context.Background(), store.ImageFilter{ScanID: sc.ID})
	if err != nil {
		t.Fatal(err)
	}
	return []any{sc, images}
}
