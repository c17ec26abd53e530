package uforge

// TargetFormat is the XSD type TargetFormat (element <targetFormat>). Holds information that extends a
// primitive :ref:`imageformat-object`.
//
// Sub-trees Kiln never fills (accepted only empty on input, never written): logo.
type TargetFormat struct {
	Object
	Name                   *string      `uforge:"name"`
	Logo                   *Unsupported `uforge:"logo,unsupported"`
	Format                 *ImageFormat `uforge:"format"`
	Category               *Category    `uforge:"category"`
	Type                   *string      `uforge:"type,enum=TargetFormatType"`
	CredAccountType        *string      `uforge:"credAccountType,enum=TargetFormatCredAccountType"`
	TargetPlatformsURI     *string      `uforge:"targetPlatformsUri"`
	TargetPlatformsURIList []string     `uforge:"targetPlatformsUriList,list=uri"`
	CredInfos              *string      `uforge:"credInfos"`
	ImageInfos             *string      `uforge:"imageInfos"`
	PublishInfos           *string      `uforge:"publishInfos"`
	Access                 *bool        `uforge:"access"`
	Active                 *bool        `uforge:"active"`
	Preselected            *bool        `uforge:"preselected"`
	URI                    *string      `uforge:"uri"`
}

// RootName implements Root.
func (TargetFormat) RootName() string { return "targetFormat" }

// TargetFormats is the XSD type TargetFormats (element <targetFormats>). Provides a list of
// :ref:`targetformat-object` objects.
type TargetFormats struct {
	Objects
	TargetFormats []TargetFormat `uforge:"targetFormats,list=targetFormat"`
}

// RootName implements Root.
func (TargetFormats) RootName() string { return "targetFormats" }

// ImageFormat is the XSD type ImageFormat (element <imageFormat>). Provides the information on a
// format available for generating a machine image.
type ImageFormat struct {
	Object
	Access      *bool   `uforge:"access"`
	Active      *bool   `uforge:"active"`
	Name        *string `uforge:"name,enum=ImageFormatName"`
	Preselected *bool   `uforge:"preselected"`
	URI         *string `uforge:"uri"`
}

// RootName implements Root.
func (ImageFormat) RootName() string { return "imageFormat" }

// ImageFormats is the XSD type ImageFormats (element <imageFormats>). Provides a list of
// :ref:`imageformat-object` objects.
type ImageFormats struct {
	Objects
	ImageFormats []ImageFormat `uforge:"imageFormats,list=imageFormat"`
}

// RootName implements Root.
func (ImageFormats) RootName() string { return "imageFormats" }

// Category is the XSD type Category (element <category>). Holds the information of one category
// available on the platform.
type Category struct {
	Object
	Name           *string    `uforge:"name"`
	OrgURI         *string    `uforge:"orgUri"`
	SubCategories  []Category `uforge:"subCategories,list=category"`
	SubCategoryURI *string    `uforge:"subCategoryUri"`
	URI            *string    `uforge:"uri"`
	Type           *string    `uforge:"type,enum=CategoryType"`
}

// RootName implements Root.
func (Category) RootName() string { return "category" }
