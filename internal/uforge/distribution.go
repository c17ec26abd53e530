package uforge

import "time"

// Distribution is the XSD type Distribution (element <distribution>). Describes a specific version of
// an operating system that is registered on the platform.
//
// Sub-trees Kiln never fills (accepted only empty on input, never written): company, license.
type Distribution struct {
	Object
	Active                         *bool          `uforge:"active"`
	Arch                           *string        `uforge:"arch,enum=DistributionArch"`
	BaseMilestonesURI              *string        `uforge:"baseMilestonesUri"`
	BasePkgsURI                    *string        `uforge:"basePkgsUri"`
	BaseProfilesURI                *string        `uforge:"baseProfilesUri"`
	BaseRepositoriesURI            *string        `uforge:"baseRepositoriesUri"`
	BaseProhibitedFormatsURI       *string        `uforge:"baseProhibitedFormatsUri"`
	BaseProhibitedTargetFormatsURI *string        `uforge:"baseProhibitedTargetFormatsUri"`
	BaseServicesURI                *string        `uforge:"baseServicesUri"`
	BaseGoldensURI                 *string        `uforge:"baseGoldensUri"`
	Company                        *Unsupported   `uforge:"company,unsupported"`
	CompleteProfileURI             *string        `uforge:"completeProfileUri"`
	Description                    *string        `uforge:"description"`
	Family                         *string        `uforge:"family,enum=DistributionFamily"`
	LastPkgBuildDate               *time.Time     `uforge:"lastPkgBuildDate"`
	License                        *Unsupported   `uforge:"license,unsupported"`
	MilestoneURIs                  []string       `uforge:"milestoneUris,list=uri"`
	Name                           *string        `uforge:"name,enum=DistributionName"`
	ParentURI                      *string        `uforge:"parentUri"`
	PkgType                        *string        `uforge:"pkgType"`
	Preselected                    *bool          `uforge:"preselected"`
	Profiles                       []LinuxProfile `uforge:"profiles,list=profile,xsitype=LinuxProfile"`
	ProfileURIs                    []string       `uforge:"profileUris,list=uri"`
	ProhibitedFormats              []ImageFormat  `uforge:"prohibitedFormats,list=prohibitedFormat"`
	ProhibitedTargetFormats        []TargetFormat `uforge:"prohibitedTargetFormats,list=prohibitedTargetFormat"`
	ReleaseDate                    *time.Time     `uforge:"releaseDate"`
	ServiceURIs                    []string       `uforge:"serviceUris,list=uri"`
	Size                           *int64         `uforge:"size"`
	SkeletonSize                   *int64         `uforge:"skeletonSize"`
	URI                            *string        `uforge:"uri"`
	Version                        *string        `uforge:"version"`
	VersionID                      *int64         `uforge:"versionId"`
	Visible                        *bool          `uforge:"visible"`
	WelcomeMsg                     *string        `uforge:"welcomeMsg"`
}

// RootName implements Root.
func (Distribution) RootName() string { return "distribution" }

// Distributions is the XSD type Distributions (element <distributions>). Provides a list of
// :ref:`distribution-object` objects.
type Distributions struct {
	Objects
	Distributions []Distribution `uforge:"distributions,list=distribution"`
}

// RootName implements Root.
func (Distributions) RootName() string { return "distributions" }

// DistribProfile is the XSD type DistribProfile (element <distribProfile>). Describes an abstract
// profile shared between linux and windows.
type DistribProfile struct {
	Object
	Abbreviation       *string `uforge:"abbreviation"`
	Active             *bool   `uforge:"active"`
	ApplianceURI       *string `uforge:"applianceUri"`
	Arch               *string `uforge:"arch"`
	Description        *string `uforge:"description"`
	DistributionURI    *string `uforge:"distributionUri"`
	InstalledSize      *int64  `uforge:"installedSize"`
	Name               *string `uforge:"name"`
	StandardProfileURI *string `uforge:"standardProfileUri"`
	URI                *string `uforge:"uri"`
	Size               *int64  `uforge:"size"`
	Version            *string `uforge:"version"`
}

// LinuxProfile is the XSD type LinuxProfile (element <linuxProfile>). Describes a group of native
// packages from a linux operating system.
type LinuxProfile struct {
	DistribProfile
	DistributionPackagesURI *string  `uforge:"distributionPackagesUri"`
	DistributionServicesURI *string  `uforge:"distributionServicesUri"`
	ExcludeDocs             *bool    `uforge:"excludeDocs"`
	PackagesURI             *string  `uforge:"packagesUri"`
	PackageURIs             []string `uforge:"packageUris,list=uri"`
	ServicesURI             *string  `uforge:"servicesUri"`
	ServiceURIs             []string `uforge:"serviceUris,list=uri"`
	UpdatesURI              *string  `uforge:"updatesUri"`
}

// RootName implements Root.
func (LinuxProfile) RootName() string { return "linuxProfile" }

// DistribProfiles is the XSD type DistribProfiles (element <distribProfiles>). Provides a list of
// :ref:`distribprofile-object` objects.
type DistribProfiles struct {
	Objects
	DistribProfiles []LinuxProfile `uforge:"distribProfiles,list=distribProfile,xsitype=LinuxProfile"`
}

// RootName implements Root.
func (DistribProfiles) RootName() string { return "distribProfiles" }

// Pkg is the XSD type Pkg (element <package>). Holds information of a native operating system package
// or file.
type Pkg struct {
	UploadObject
	Arch            *string    `uforge:"arch"`
	BinaryURI       *string    `uforge:"binaryUri"`
	Default         *bool      `uforge:"default"`
	Extract         *bool      `uforge:"extract"`
	FullName        *string    `uforge:"fullName"`
	Install         *bool      `uforge:"install"`
	InstallLocation *string    `uforge:"installLocation"`
	Language        *bool      `uforge:"language"`
	Name            *string    `uforge:"name"`
	OrigName        *string    `uforge:"origName"`
	Params          *string    `uforge:"params"`
	ParentURI       *string    `uforge:"parentUri"`
	PkgBuildDate    *time.Time `uforge:"pkgBuildDate"`
	PkgFileDate     *time.Time `uforge:"pkgFileDate"`
	Release         *string    `uforge:"release"`
	ShortTag        *string    `uforge:"shortTag"`
	RepositoryName  *string    `uforge:"repositoryName"`
	Sticky          *bool      `uforge:"sticky"`
	Type            *string    `uforge:"type"`
	URI             *string    `uforge:"uri"`
	Version         *string    `uforge:"version"`
	Epoch           *int       `uforge:"epoch"`
}

// RootName implements Root.
func (Pkg) RootName() string { return "package" }

// PkgList is the XSD type PkgList (element <packages>). Provides a list of :ref:`package-object`
// objects to add or delete.
type PkgList struct {
	AddedPkgURIs   []string `uforge:"addedPkgUris,list=uri"`
	DeletedPkgURIs []string `uforge:"deletedPkgUris,list=uri"`
	Pkgs           []Pkg    `uforge:"pkgs,list=pkg"`
}

// RootName implements Root.
func (PkgList) RootName() string { return "packages" }
