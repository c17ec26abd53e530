package uforge

import "time"

// UserProfile is the XSD type UserProfile (element <userProfile>). Describes an user's profile
//
// Sub-trees Kiln never fills (accepted only empty on input, never written): company, photo.
type UserProfile struct {
	Object
	LoginName *string      `uforge:"loginName"`
	Active    *bool        `uforge:"active"`
	Company   *Unsupported `uforge:"company,unsupported"`
	Email     *string      `uforge:"email"`
	FirstName *string      `uforge:"firstName"`
	Surname   *string      `uforge:"surname"`
	JobTitle  *string      `uforge:"jobTitle"`
	Photo     *Unsupported `uforge:"photo,unsupported"`
	Website   *string      `uforge:"website"`
}

// RootName implements Root.
func (UserProfile) RootName() string { return "userProfile" }

// User is the XSD type User (element <user>). Describes an user of the platform.
//
// Sub-trees Kiln never fills (accepted only empty on input, never written): productAccess, publishGalleries, rankings, tags, vAppAccess.
type User struct {
	UserProfile
	Address                  *Address     `uforge:"address"`
	Admin                    *bool        `uforge:"admin"`
	AdminOrgsURI             *string      `uforge:"adminOrgsUri"`
	AdminOrgURIs             []string     `uforge:"adminOrgUris,list=uri"`
	APIKeysQuota             *int         `uforge:"apiKeysQuota"`
	ApplianceURIs            []string     `uforge:"applianceUris,list=uri"`
	BaseAPIKeysURI           *string      `uforge:"baseApiKeysUri"`
	BaseAppliancesURI        *string      `uforge:"baseAppliancesUri"`
	BaseBlueprintsURI        *string      `uforge:"baseBlueprintsUri"`
	BaseCredAccountsURI      *string      `uforge:"baseCredAccountsUri"`
	BaseDeploymentsURI       *string      `uforge:"baseDeploymentsUri"`
	BaseDistributionsURI     *string      `uforge:"baseDistributionsUri"`
	BaseFormatsURI           *string      `uforge:"baseFormatsUri"`
	BaseTargetPlatformsURI   *string      `uforge:"baseTargetPlatformsUri"`
	BaseTargetFormatsURI     *string      `uforge:"baseTargetFormatsUri"`
	BaseGalleriesURI         *string      `uforge:"baseGalleriesUri"`
	BaseGalleryOrgsURI       *string      `uforge:"baseGalleryOrgsUri"`
	BaseImagesURI            *string      `uforge:"baseImagesUri"`
	BaseExportsURI           *string      `uforge:"baseExportsUri"`
	BaseImportsURI           *string      `uforge:"baseImportsUri"`
	MySoftwareImportsURI     *string      `uforge:"mySoftwareImportsUri"`
	BaseMySoftwareLibraryURI *string      `uforge:"baseMySoftwareLibraryUri"`
	BaseOrgsURI              *string      `uforge:"baseOrgsUri"`
	BaseProjectsURI          *string      `uforge:"baseProjectsUri"`
	BasePublishImagesURI     *string      `uforge:"basePublishImagesUri"`
	BaseRankingsURI          *string      `uforge:"baseRankingsUri"`
	BaseRolesURI             *string      `uforge:"baseRolesUri"`
	BaseTagsURI              *string      `uforge:"baseTagsUri"`
	BaseWorkspacesURI        *string      `uforge:"baseWorkspacesUri"`
	CreationCode             *string      `uforge:"creationCode"`
	CredAccountURIs          []string     `uforge:"credAccountUris,list=uri"`
	ArtifactAccountsURI      *string      `uforge:"artifactAccountsUri"`
	DOB                      *time.Time   `uforge:"dob"`
	Gender                   *string      `uforge:"gender"`
	HomePhone                *string      `uforge:"homePhone"`
	InstancesURI             *string      `uforge:"instancesUri"`
	Lang                     *string      `uforge:"lang"`
	MigrationsURI            *string      `uforge:"migrationsUri"`
	MobilePhone              *string      `uforge:"mobilePhone"`
	MySoftwareLibraryURIs    []string     `uforge:"mySoftwareLibraryUris,list=uri"`
	Name                     *string      `uforge:"name"`
	OfficePhone              *string      `uforge:"officePhone"`
	OrgURIs                  []string     `uforge:"orgUris,list=uri"`
	Password                 *string      `uforge:"password"`
	ProductAccess            *Unsupported `uforge:"productAccess,unsupported"`
	ProjectURIs              []string     `uforge:"projectUris,list=uri"`
	PromoCode                *string      `uforge:"promoCode"`
	PublishGalleries         *Unsupported `uforge:"publishGalleries,unsupported"`
	QuotasURI                *string      `uforge:"quotasUri"`
	Rankings                 *Unsupported `uforge:"rankings,unsupported"`
	Roles                    []Role       `uforge:"roles,list=role"`
	ScannedInstancesURI      *string      `uforge:"scannedInstancesUri"`
	ScansURI                 *string      `uforge:"scansUri"`
	SSHKeys                  []SSHKey     `uforge:"sshKeys,list=sshKey"`
	SSHKeysURI               *string      `uforge:"sshKeysUri"`
	StatsURI                 *string      `uforge:"statsUri"`
	Tags                     *Unsupported `uforge:"tags,unsupported"`
	URI                      *string      `uforge:"uri"`
	UsageURI                 *string      `uforge:"usageUri"`
	VAppAccess               *Unsupported `uforge:"vAppAccess,unsupported"`
}

// RootName implements Root.
func (User) RootName() string { return "user" }

// Users is the XSD type Users (element <users>). Provides a list of :ref:`user-object` objects.
type Users struct {
	Objects
	Users []User `uforge:"users,list=user"`
}

// RootName implements Root.
func (Users) RootName() string { return "users" }

// Address is the XSD type Address (element <address>). Holds the address information of an
// organization or user.
type Address struct {
	Object
	Country     *string `uforge:"country"`
	RegionState *string `uforge:"region_state"`
	Street      *string `uforge:"street"`
	Town        *string `uforge:"town"`
	Zipcode     *string `uforge:"zipcode"`
}

// RootName implements Root.
func (Address) RootName() string { return "address" }

// Role is the XSD type Role (element <role>). Describes a “role“ used for Role-Based Access Control
// (RBAC).
type Role struct {
	Object
	Name         *string       `uforge:"name"`
	Description  *string       `uforge:"description"`
	Entitlements []Entitlement `uforge:"entitlements,list=entitlement"`
}

// RootName implements Root.
func (Role) RootName() string { return "role" }

// Roles is the XSD type Roles (element <roles>). Provides a list of :ref:`role-object` objects.
type Roles struct {
	Objects
	Roles []Role `uforge:"roles,list=role"`
}

// RootName implements Root.
func (Roles) RootName() string { return "roles" }

// Entitlement is the XSD type Entitlement (element <entitlement>). Describes a base permission tag
// pre-defined in the platform.
type Entitlement struct {
	Description *string `uforge:"description"`
	Name        *string `uforge:"name"`
}

// RootName implements Root.
func (Entitlement) RootName() string { return "entitlement" }

// Entitlements is the XSD type Entitlements (element <entitlements>). Provides a list of
// :ref:`entitlement-object` objects.
type Entitlements struct {
	Objects
	Entitlements []Entitlement `uforge:"entitlements,list=entitlement"`
}

// RootName implements Root.
func (Entitlements) RootName() string { return "entitlements" }

// APIKeyPair is the XSD type APIKeyPair (element <apiKeyPair>). Holds the key pair information used as
// an alternative way to using basic authorization for HTTP requests.
type APIKeyPair struct {
	Object
	Name        *string `uforge:"name"`
	Description *string `uforge:"description"`
	PublicKey   *string `uforge:"publicKey"`
	SecretKey   *string `uforge:"secretKey"`
	URI         *string `uforge:"uri"`
}

// RootName implements Root.
func (APIKeyPair) RootName() string { return "apiKeyPair" }

// APIKeyPairs is the XSD type APIKeyPairs (element <apiKeyPairs>). Provides a list of
// :ref:`apikeypair-object` objects.
type APIKeyPairs struct {
	Objects
	APIKeyPairs []APIKeyPair `uforge:"apiKeyPairs,list=apiKeyPair"`
}

// RootName implements Root.
func (APIKeyPairs) RootName() string { return "apiKeyPairs" }

// Org is the XSD type Org (element <org>). Holds the meta-data of an organization of the platform.
//
// Sub-trees Kiln never fills (accepted only empty on input, never written): company, license.
type Org struct {
	Object
	ActivateNewUsers        *bool          `uforge:"activateNewUsers"`
	Admin                   *bool          `uforge:"admin"`
	AppliancesURI           *string        `uforge:"appliancesUri"`
	ApplianceURIs           []string       `uforge:"applianceUris,list=uri"`
	CategoriesURI           *string        `uforge:"categoriesUri"`
	CompaniesURI            *string        `uforge:"companiesUri"`
	Company                 *Unsupported   `uforge:"company,unsupported"`
	DefaultOrg              *bool          `uforge:"defaultOrg"`
	DistributionsURI        *string        `uforge:"distributionsUri"`
	TargetFormats           []TargetFormat `uforge:"targetFormats,list=targetFormat"`
	FormatsURI              *string        `uforge:"formatsUri"`
	TargetPlatformsURI      *string        `uforge:"targetPlatformsUri"`
	TargetFormatsURI        *string        `uforge:"targetFormatsUri"`
	GalleryURI              *string        `uforge:"galleryUri"`
	License                 *Unsupported   `uforge:"license,unsupported"`
	LicensesURI             *string        `uforge:"licensesUri"`
	LicenseURI              *string        `uforge:"licenseUri"`
	MembersURI              *string        `uforge:"membersUri"`
	MilestonesURI           *string        `uforge:"milestonesUri"`
	Name                    *string        `uforge:"name"`
	ProjectsURI             *string        `uforge:"projectsUri"`
	RolesURI                *string        `uforge:"rolesUri"`
	StatsURI                *string        `uforge:"statsUri"`
	SubscriptionProfilesURI *string        `uforge:"subscriptionProfilesUri"`
	URI                     *string        `uforge:"uri"`
	WorkspacesURI           *string        `uforge:"workspacesUri"`
	RepositoriesURI         *string        `uforge:"repositoriesUri"`
	ArtifactAccountsURI     *string        `uforge:"artifactAccountsUri"`
}

// RootName implements Root.
func (Org) RootName() string { return "org" }

// Orgs is the XSD type Orgs (element <orgs>). Provides a list of :ref:`org-object` objects.
type Orgs struct {
	Objects
	Orgs []Org `uforge:"orgs,list=org"`
}

// RootName implements Root.
func (Orgs) RootName() string { return "orgs" }
