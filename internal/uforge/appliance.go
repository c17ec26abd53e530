package uforge

import "time"

// Appliance is the XSD type Appliance (element <appliance>). Holds all the meta-data information of a
// software stack (known as an appliance template).
//
// Sub-trees Kiln never fills (accepted only empty on input, never written): applianceExports, bootScripts, confMgmtPlatforms, logo, mySoftwareList, oasPackage, projects, publishImages.
type Appliance struct {
	Object
	UUID                       *string         `uforge:"uuid"`
	ApplianceExports           *Unsupported    `uforge:"applianceExports,unsupported"`
	ArchName                   *string         `uforge:"archName"`
	BaseCloneURI               *string         `uforge:"baseCloneUri"`
	BaseImagesStatusURI        *string         `uforge:"baseImagesStatusUri"`
	BaseImagesURI              *string         `uforge:"baseImagesUri"`
	BaseMySoftwareURI          *string         `uforge:"baseMySoftwareUri"`
	BaseOASPackageURI          *string         `uforge:"baseOasPackageUri"`
	BaseOSProfileURI           *string         `uforge:"baseOsProfileUri"`
	BaseProjectsURI            *string         `uforge:"baseProjectsUri"`
	BasePublishImagesStatusURI *string         `uforge:"basePublishImagesStatusUri"`
	BasePublishImagesURI       *string         `uforge:"basePublishImagesUri"`
	BaseTemplatesStatusURI     *string         `uforge:"baseTemplatesStatusUri"`
	BaseTemplatesURI           *string         `uforge:"baseTemplatesUri"`
	BootScripts                *Unsupported    `uforge:"bootScripts,unsupported"`
	BootScriptsURI             *string         `uforge:"bootScriptsUri"`
	BootScriptURIs             []string        `uforge:"bootScriptUris,list=uri"`
	ConfMgmtPlatforms          *Unsupported    `uforge:"confMgmtPlatforms,unsupported"`
	ConfMgmtPlatformsURI       *string         `uforge:"confMgmtPlatformsUri"`
	ConfMgmtPlatformURIs       []string        `uforge:"confMgmtPlatformUris,list=uri"`
	Description                *string         `uforge:"description"`
	DistributionName           *string         `uforge:"distributionName"`
	DistributionURI            *string         `uforge:"distributionUri"`
	ExportsURI                 *string         `uforge:"exportsUri"`
	ImageURIs                  []string        `uforge:"imageUris,list=uri"`
	Imported                   *bool           `uforge:"imported"`
	InstalledSize              *int64          `uforge:"installedSize"`
	InstallProfile             *InstallProfile `uforge:"installProfile"`
	InstallProfileURI          *string         `uforge:"installProfileUri"`
	LastPkgUpdate              *time.Time      `uforge:"lastPkgUpdate"`
	Logo                       *Unsupported    `uforge:"logo,unsupported"`
	MySoftwareList             *Unsupported    `uforge:"mySoftwareList,unsupported"`
	MySoftwareURIs             []string        `uforge:"mySoftwareUris,list=uri"`
	Name                       *string         `uforge:"name"`
	NbSecurityUpdates          *int            `uforge:"nbSecurityUpdates"`
	NbUpdates                  *int            `uforge:"nbUpdates"`
	OASPackage                 *Unsupported    `uforge:"oasPackage,unsupported"`
	OASPackageURI              *string         `uforge:"oasPackageUri"`
	OrgURI                     *string         `uforge:"orgUri"`
	OSProfile                  *LinuxProfile   `uforge:"osProfile,xsitype=LinuxProfile"`
	OSProfileURI               *string         `uforge:"osProfileUri"`
	ParentApplianceURI         *string         `uforge:"parentApplianceUri"`
	ParentTemplateURI          *string         `uforge:"parentTemplateUri"`
	Projects                   *Unsupported    `uforge:"projects,unsupported"`
	ProjectURIs                []string        `uforge:"projectUris,list=uri"`
	PublishImages              *Unsupported    `uforge:"publishImages,unsupported"`
	PublishImageURIs           []string        `uforge:"publishImageUris,list=uri"`
	Revision                   *int            `uforge:"revision"`
	Shared                     *bool           `uforge:"shared"`
	Size                       *int64          `uforge:"size"`
	Tag                        *string         `uforge:"tag"`
	URI                        *string         `uforge:"uri"`
	Version                    *string         `uforge:"version"`
}

// RootName implements Root.
func (Appliance) RootName() string { return "appliance" }

// Appliances is the XSD type Appliances (element <appliances>). Provides a list of :ref:`appliance-
// object` objects.
type Appliances struct {
	Objects
	Appliances []Appliance `uforge:"appliances,list=appliance"`
}

// RootName implements Root.
func (Appliances) RootName() string { return "appliances" }
