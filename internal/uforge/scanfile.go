package uforge

// ScannedPkg is the XSD type ScannedPkg (element <scannedPackage>). Holds the meta-data of a native
// package discovered on the file system after a scan process.
type ScannedPkg struct {
	Pkg
	Deleted           *bool         `uforge:"deleted"`
	DeltaLocation     *string       `uforge:"deltaLocation"`
	DeltaModified     *bool         `uforge:"deltaModified"`
	DistributionURI   *string       `uforge:"distributionUri"`
	FilesURI          *string       `uforge:"filesUri"`
	FromRepo          *bool         `uforge:"fromRepo"`
	Headers           *string       `uforge:"headers"`
	Inherited         *bool         `uforge:"inherited"`
	MirrorPath        *string       `uforge:"mirrorPath"`
	MirrorType        *string       `uforge:"mirrorType"`
	ModifiedFiles     []ScannedFile `uforge:"modifiedFiles,list=modifiedFile"`
	NotModifiedFiles  []ScannedFile `uforge:"notModifiedFiles,list=notModifiedFile"`
	PostunScripts     *string       `uforge:"postunScripts"`
	PreunScripts      *string       `uforge:"preunScripts"`
	ScannedInstanceID *int64        `uforge:"scannedInstanceId"`
	Selected          *bool         `uforge:"selected"`
	Tag               *string       `uforge:"tag"`
}

// RootName implements Root.
func (ScannedPkg) RootName() string { return "scannedPackage" }

// ScannedPkgs is the XSD type ScannedPkgs (element <scannedPackages>). Provides a list of
// :ref:`scannedpackage-object` objects.
type ScannedPkgs struct {
	Objects
	ScannedPackages []ScannedPkg `uforge:"scannedPackages,list=scannedPackage"`
}

// RootName implements Root.
func (ScannedPkgs) RootName() string { return "scannedPackages" }

// FileEntry is the XSD type FileEntry (element <fileEntry>). Holds the meta-data information of a file
// on a filesystem.
type FileEntry struct {
	Object
	Checksum          *string `uforge:"checksum"`
	Directory         *bool   `uforge:"directory"`
	FullPath          *string `uforge:"fullPath"`
	Group             *string `uforge:"group"`
	LinkTarget        *string `uforge:"linkTarget"`
	Name              *string `uforge:"name"`
	Owner             *string `uforge:"owner"`
	ParentURI         *string `uforge:"parentUri"`
	Permissions       *string `uforge:"permissions"`
	ScannedInstanceID *int64  `uforge:"scannedInstanceId"`
	Size              *int64  `uforge:"size"`
	SubEntries        *int64  `uforge:"subEntries"`
	URI               *string `uforge:"uri"`
}

// RootName implements Root.
func (FileEntry) RootName() string { return "fileEntry" }

// ScannedFile is the XSD type ScannedFile (element <scannedFile>). Holds the meta-data of a file
// discovered on the file system after a scan process.
type ScannedFile struct {
	FileEntry
	Deleted    *bool   `uforge:"deleted"`
	Inherited  *bool   `uforge:"inherited"`
	Selected   *bool   `uforge:"selected"`
	Uploaded   *bool   `uforge:"uploaded"`
	ChangeType *string `uforge:"changeType,enum=ScannedFileChangeType"`
}

// RootName implements Root.
func (ScannedFile) RootName() string { return "scannedFile" }

// ScannedFiles is the XSD type ScannedFiles (element <scannedFiles>). Provides a list of
// :ref:`scannedfile-object` objects.
type ScannedFiles struct {
	Objects
	ScannedFiles []ScannedFile `uforge:"scannedFiles,list=scannedFile"`
}

// RootName implements Root.
func (ScannedFiles) RootName() string { return "scannedFiles" }
