package uforge

// Image is the XSD type Image (element <image>). Describes a machine image that can be used to
// provision one or more instances on a target environment.
//
// Sub-trees Kiln never fills (accepted only empty on input, never written): credAccount.
type Image struct {
	UploadObject
	ParentURI             *string         `uforge:"parentUri"`
	BasePublishImagesURI  *string         `uforge:"basePublishImagesUri"`
	CompleteInstalledSize *int64          `uforge:"completeInstalledSize"`
	CompleteSize          *int64          `uforge:"completeSize"`
	Compress              *bool           `uforge:"compress"`
	CredAccount           *Unsupported    `uforge:"credAccount,unsupported"`
	DistributionName      *string         `uforge:"distributionName"`
	DownloadKey           *string         `uforge:"downloadKey"`
	DownloadURI           *string         `uforge:"downloadUri"`
	EBS                   *bool           `uforge:"ebs"`
	EBSVolumeSize         *int            `uforge:"ebsVolumeSize"`
	FileExtension         *string         `uforge:"fileExtension"`
	FileName              *string         `uforge:"fileName"`
	FileSize              *int64          `uforge:"fileSize"`
	Format                *ImageFormat    `uforge:"format"`
	TargetFormat          *TargetFormat   `uforge:"targetFormat"`
	FullName              *string         `uforge:"fullName"`
	ImageCreated          *bool           `uforge:"imageCreated"`
	InstallProfile        *InstallProfile `uforge:"installProfile"`
	Name                  *string         `uforge:"name"`
	OrgURI                *string         `uforge:"orgUri"`
	PkgsURI               *string         `uforge:"pkgsUri"`
	PublicAccess          *bool           `uforge:"publicAccess"`
	RegisteredCredAccount *bool           `uforge:"registeredCredAccount"`
	Revision              *int            `uforge:"revision"`
	Simulated             *bool           `uforge:"simulated"`
	StatusURI             *string         `uforge:"statusUri"`
	Tag                   *string         `uforge:"tag"`
	UpdateTools           *bool           `uforge:"updateTools"`
	URI                   *string         `uforge:"uri"`
	Version               *string         `uforge:"version"`
	VMDiskSize            *int64          `uforge:"vmDiskSize"`
	VMMemorySize          *int            `uforge:"vmMemorySize"`
	ForceCheckingDeps     *bool           `uforge:"forceCheckingDeps"`
	Entrypoint            *string         `uforge:"entrypoint"`
	RegisteringName       *string         `uforge:"registeringName"`
}

// RootName implements Root.
func (Image) RootName() string { return "image" }

// Images is the XSD type Images (element <images>). Provides a list of :ref:`image-object` objects.
type Images struct {
	Objects
	Images []Image `uforge:"images,list=image"`
}

// RootName implements Root.
func (Images) RootName() string { return "images" }

// ImagePkg is the XSD type ImagePkg (element <imagePkg>). Provides the details of a group of files
// (package) that are to be installed as part of a machine image.
type ImagePkg struct {
	Level                  *int  `uforge:"level"`
	NativeFromDistribution *bool `uforge:"native_from_distribution"`
	Pkg                    *Pkg  `uforge:"pkg"`
}

// RootName implements Root.
func (ImagePkg) RootName() string { return "imagePkg" }

// ImagePkgs is the XSD type ImagePkgs (element <imagePkgs>). Provides a list of :ref:`imagepkg-object`
// objects.
type ImagePkgs struct {
	Objects
	ImagePkgs []ImagePkg `uforge:"imagePkgs,list=imagePkg"`
}

// RootName implements Root.
func (ImagePkgs) RootName() string { return "imagePkgs" }
