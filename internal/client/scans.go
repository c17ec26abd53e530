package client

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/kilnhq/kiln/internal/uforge"
)

// Status reads GET /status, which needs no credentials: is the server there,
// and which version does it claim.
func (c *Client) Status(ctx context.Context) (*uforge.ServiceStatus, error) {
	var s uforge.ServiceStatus
	if err := c.Do(ctx, http.MethodGet, "status", nil, nil, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// GetUser reads GET /users/{user}; with the caller's own login it checks the
// credentials.
func (c *Client) GetUser(ctx context.Context, user string) (*uforge.User, error) {
	var u uforge.User
	if err := c.Do(ctx, http.MethodGet, PathEscape("users", user), nil, nil, &u); err != nil {
		return nil, err
	}
	return &u, nil
}

// ScannedInstancesPath is the collection of user's scanned instances.
func ScannedInstancesPath(user string) string {
	return PathEscape("users", user, "scannedinstances")
}

// ScansPath is the collection of scans of one scanned instance.
func ScansPath(user string, instanceID int64) string {
	return ScannedInstancesPath(user) + "/" + strconv.FormatInt(instanceID, 10) + "/scans"
}

// ScanPath is one scan.
func ScanPath(user string, instanceID, scanID int64) string {
	return ScansPath(user, instanceID) + "/" + strconv.FormatInt(scanID, 10)
}

// FindScannedInstance returns user's scanned instance called name, with its
// scans, or nil (and no error) when there is none.
func (c *Client) FindScannedInstance(ctx context.Context, user, name string) (*uforge.ScannedInstance, error) {
	q := url.Values{"name": {name}, "includeScans": {"true"}}
	var list uforge.ScannedInstances
	if err := c.Do(ctx, http.MethodGet, ScannedInstancesPath(user), q, nil, &list); err != nil {
		return nil, err
	}
	// The name filter is the server's; checking it again costs nothing and
	// keeps a lax server from handing back someone else's instance.
	for i := range list.ScannedInstances {
		if si := &list.ScannedInstances[i]; uforge.StrValue(si.Name) == name {
			return si, nil
		}
	}
	return nil, nil
}

// CreateScannedInstance creates si (name, distribution, overlayIncluded) and
// returns it as stored.
func (c *Client) CreateScannedInstance(ctx context.Context, user string, si *uforge.ScannedInstance) (*uforge.ScannedInstance, error) {
	var out uforge.ScannedInstance
	if err := c.Do(ctx, http.MethodPost, ScannedInstancesPath(user), nil, si, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ReportFileName is the reportFileName the agent sends with its report.
const ReportFileName = "report.json"

// CreateScan uploads a scan report (the agent's JSON) and returns the new scan.
// The body travels raw, with its CRC-32 in the query as UForge's agent does.
func (c *Client) CreateScan(ctx context.Context, user string, instanceID int64, report []byte) (*uforge.Scan, error) {
	q := url.Values{"crc": {CRC32(report)}, "reportFileName": {ReportFileName}}
	var out uforge.Scan
	if err := c.call(ctx, http.MethodPost, ScansPath(user, instanceID), q, "application/octet-stream", report, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetScan reads one scan, without its packages and files (the query hammr
// polls with).
func (c *Client) GetScan(ctx context.Context, user string, instanceID, scanID int64) (*uforge.Scan, error) {
	q := url.Values{"validated": {"false"}, "pkgs": {"false"}, "added": {"false"}, "pkgFiles": {"false"}}
	var out uforge.Scan
	if err := c.Do(ctx, http.MethodGet, ScanPath(user, instanceID, scanID), q, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ID returns the dbId of an object the server created, or an error naming what
// lacks one (a server bug, but the agent must not send requests to ".../0").
func ID(what string, dbID *int64) (int64, error) {
	if dbID == nil || *dbID <= 0 {
		return 0, fmt.Errorf("the server's %s has no dbId", what)
	}
	return *dbID, nil
}
