package uforge

// ScannedInstance is the XSD type ScannedInstance (element <scannedInstance>). Used to group together
// one or more scan reports from the a running system.
type ScannedInstance struct {
	Object
	Distribution    *Distribution `uforge:"distribution"`
	Group           *string       `uforge:"group"`
	Name            *string       `uforge:"name"`
	ParentURI       *string       `uforge:"parentUri"`
	PlatformType    *string       `uforge:"platformType"`
	RAMSize         *int          `uforge:"ramSize"`
	OverlayIncluded *bool         `uforge:"overlayIncluded"`
	Scans           []Scan        `uforge:"scans,list=scan"`
	ScansURI        *string       `uforge:"scansUri"`
	TotalScans      *int          `uforge:"totalScans"`
	URI             *string       `uforge:"uri"`
}

// RootName implements Root.
func (ScannedInstance) RootName() string { return "scannedInstance" }

// ScannedInstances is the XSD type ScannedInstances (element <scannedInstances>). Provides a list of
// :ref:`scannedinstance-object` objects.
type ScannedInstances struct {
	Objects
	ScannedInstances []ScannedInstance `uforge:"scannedInstances,list=scannedInstance"`
}

// RootName implements Root.
func (ScannedInstances) RootName() string { return "scannedInstances" }

// ScanSummary is the XSD type ScanSummary (element <scanSummary>). Holds all the summary meta-data of
// a scan.
type ScanSummary struct {
	Object
	BinariesExtracted      *bool           `uforge:"binariesExtracted"`
	BinariesReceived       *bool           `uforge:"binariesReceived"`
	Error                  *bool           `uforge:"error"`
	ErrorMsg               *string         `uforge:"errorMsg"`
	FilesURI               *string         `uforge:"filesUri"`
	ImagesURI              *string         `uforge:"imagesUri"`
	OSConfig               *OsConfig       `uforge:"osConfig"`
	ImportsURI             *string         `uforge:"importsUri"`
	GoldenImportsURI       *string         `uforge:"goldenImportsUri"`
	InstallProfile         *InstallProfile `uforge:"installProfile"`
	InstallProfileURI      *string         `uforge:"installProfileUri"`
	ScanSyncURI            *string         `uforge:"scanSyncUri"`
	Name                   *string         `uforge:"name"`
	OverlayCRC             *string         `uforge:"overlayCrc"`
	OverlayImported        *bool           `uforge:"overlayImported"`
	OverlayPath            *string         `uforge:"overlayPath"`
	OverlayURI             *string         `uforge:"overlayUri"`
	RawPartitionsURI       *string         `uforge:"rawPartitionsUri"`
	PackagesURI            *string         `uforge:"packagesUri"`
	Rejected               *bool           `uforge:"rejected"`
	Scanned                *bool           `uforge:"scanned"`
	ScannedInstanceURI     *string         `uforge:"scannedInstanceUri"`
	Status                 *OpStatus       `uforge:"status"`
	TotalFilesAdded        *int            `uforge:"totalFilesAdded"`
	TotalFilesDeleted      *int            `uforge:"totalFilesDeleted"`
	TotalFilesModified     *int            `uforge:"totalFilesModified"`
	TotalPackages          *int            `uforge:"totalPackages"`
	UncompressedBinarySize *int64          `uforge:"uncompressedBinarySize"`
	URI                    *string         `uforge:"uri"`
	Validated              *bool           `uforge:"validated"`
	RawScan                *bool           `uforge:"rawScan"`
}

// RootName implements Root.
func (ScanSummary) RootName() string { return "scanSummary" }

// Scan is the XSD type Scan (element <scan>). Holds all the meta-data of a scan.
//
// Sub-trees Kiln never fills (accepted only empty on input, never written): unixServices, winServices, winApplications.
type Scan struct {
	ScanSummary
	Images          []Image      `uforge:"images,list=image"`
	Imports         []ScanImport `uforge:"imports,list=import"`
	UnixServices    *Unsupported `uforge:"unixServices,unsupported"`
	WinServices     *Unsupported `uforge:"winServices,unsupported"`
	WinApplications *Unsupported `uforge:"winApplications,unsupported"`
	Packages        []ScannedPkg `uforge:"packages,list=package"`
}

// RootName implements Root.
func (Scan) RootName() string { return "scan" }

// Scans is the XSD type Scans (element <scans>). Provides a list of :ref:`scan-object` objects.
type Scans struct {
	Objects
	Scans []Scan `uforge:"scans,list=scan"`
}

// RootName implements Root.
func (Scans) RootName() string { return "scans" }

// ScanImport is the XSD type ScanImport (element <scanImport>). Holds the information of the
// transformation process from a scan report to an appliance template or a golden image.
type ScanImport struct {
	Object
	ImportedObjectName        *string   `uforge:"importedObjectName"`
	ImportedObjectURI         *string   `uforge:"importedObjectUri"`
	ImportedObjectVersion     *string   `uforge:"importedObjectVersion"`
	ImportedObjectDescription *string   `uforge:"importedObjectDescription"`
	OrgURI                    *string   `uforge:"orgUri"`
	ParentURI                 *string   `uforge:"parentUri"`
	Status                    *OpStatus `uforge:"status"`
	URI                       *string   `uforge:"uri"`
	ImportedToGolden          *bool     `uforge:"importedToGolden"`
}

// RootName implements Root.
func (ScanImport) RootName() string { return "scanImport" }

// ScanImports is the XSD type ScanImports (element <scanImports>). Provides a list of
// :ref:`scanimport-object` objects.
type ScanImports struct {
	Objects
	ScanImports []ScanImport `uforge:"scanImports,list=scanImport"`
}

// RootName implements Root.
func (ScanImports) RootName() string { return "scanImports" }

// OsConfig is the XSD type OsConfig (element <osConfig>). Provides OS configuration information
type OsConfig struct {
	Object
	Edition  *string `uforge:"edition,enum=OsConfigEdition"`
	Type     *string `uforge:"type,enum=OsConfigType"`
	Language *string `uforge:"language"`
}

// RootName implements Root.
func (OsConfig) RootName() string { return "osConfig" }
