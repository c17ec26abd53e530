package service

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/kilnhq/kiln/internal/store"
	"github.com/kilnhq/kiln/internal/uforge"
)

// applianceDoc is the part of an appliance the store keeps as one JSON document:
// nothing in it is ever queried by the database.
type applianceDoc struct {
	Description    string                 `json:"description,omitempty"`
	DistributionID int64                  `json:"distributionId,omitempty"`
	OSProfile      *osProfileDoc          `json:"osProfile,omitempty"`
	Install        *uforge.InstallProfile `json:"install"`
	ParentID       int64                  `json:"parentId,omitempty"` // the appliance this one was cloned from
}

// osProfileDoc is an appliance's OS profile: a standard profile plus packages.
type osProfileDoc struct {
	Name              string       `json:"name"`
	StandardProfileID int64        `json:"standardProfileId"`
	Packages          []packageRef `json:"packages,omitempty"`
	Created           time.Time    `json:"created"`
}

// packageRef names a package by name (and optionally version) rather than by
// index id, so that refreshing the mirror index never breaks an appliance.
type packageRef struct {
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
	Arch    string `json:"arch,omitempty"`
}

func decodeDoc(a *store.Appliance) (*applianceDoc, error) {
	var d applianceDoc
	if err := json.Unmarshal(a.Doc, &d); err != nil {
		return nil, fmt.Errorf("appliance %d: corrupt document: %w", a.ID, err)
	}
	if d.Install == nil {
		d.Install = defaultInstallProfile()
	}
	return &d, nil
}

func encodeDoc(d *applianceDoc) ([]byte, error) {
	b, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("encode appliance document: %w", err)
	}
	return b, nil
}

// Defaults of a new appliance's install profile. Sizes are MB, as on the wire.
const (
	defaultDiskMB   = 10240
	defaultMemoryMB = 1024
)

func defaultInstallProfile() *uforge.InstallProfile {
	return &uforge.InstallProfile{
		DiskSize:             new(int64(defaultDiskMB)),
		SwapSize:             new(int64(0)),
		MemorySize:           new(int64(defaultMemoryMB)),
		PartitionAuto:        new(true),
		Timezone:             new("Etc/UTC"),
		TimezoneAuto:         new(false),
		Keyboard:             new("us"),
		KeyboardAuto:         new(false),
		InternetSettingsAuto: new(true),
		FirewallAuto:         new(true),
		FirewallEnabled:      new(false),
		RootUser: &uforge.OSUser{
			Name: new("root"), FullName: new("root"), PasswordAuto: new(false),
			Encrypted: new(false), DisablePasswordLogin: new(false),
		},
	}
}
