package auth

import "sort"

// Entitlement names, as UForge spells them (contract §3).
const (
	ApplianceCreate        = "appliance_create"
	ImageGenerate          = "image_generate"
	ImagePublish           = "image_publish"
	MigrationAccess        = "migration_access"
	MigrationPublish       = "migration_publish"
	APIKeyAccess           = "api_key_access"
	OrgAdministrate        = "org_administrate"
	OrgFormatsAdministrate = "org_formats_administrate"
	OrgMembersAdministrate = "org_members_administrate"
	OrgOSAdministrate      = "org_os_administrate"
	OrgOSProfilesAdmin     = "org_os_profiles_administrate"
	OrgProjectsAdminister  = "org_projects_administrate"
	UserCreate             = "user_create"
	UserAdministrate       = "user_administrate"
	UserProfileEdit        = "user_profile_edit"
	UserProfileAccess      = "user_profile_access"
	UserChangePassword     = "user_change_password"
	SoftwareUpload         = "software_upload"
)

// entitlementDescriptions is the catalogue of entitlements Kiln knows.
var entitlementDescriptions = map[string]string{
	ApplianceCreate:        "Access to create and manage appliance templates.",
	ImageGenerate:          "Access to generate images.",
	ImagePublish:           "Access to publish images to cloud platforms.",
	MigrationAccess:        "Access to scan live machines and manage scans.",
	MigrationPublish:       "Access to publish images generated from scans.",
	APIKeyAccess:           "Access to manage API key pairs.",
	OrgAdministrate:        "Administration of the organization.",
	OrgFormatsAdministrate: "Administration of the organization's target formats.",
	OrgMembersAdministrate: "Administration of the organization's members.",
	OrgOSAdministrate:      "Administration of the organization's operating systems.",
	OrgOSProfilesAdmin:     "Administration of the organization's OS profiles.",
	OrgProjectsAdminister:  "Administration of the organization's projects.",
	UserCreate:             "Access to create users and grant roles.",
	UserAdministrate:       "Administration of user accounts.",
	UserProfileEdit:        "Access to edit one's own profile.",
	UserProfileAccess:      "Access to one's own profile.",
	UserChangePassword:     "Access to change one's own password.",
	SoftwareUpload:         "Access to upload software.",
}

// Role is a named group of entitlements.
type Role struct {
	Name         string
	Description  string
	Entitlements []string
}

// defaultRoles are the roles of a fresh Kiln (the UForge defaults, plus
// `migration` for scans). They are data, not configuration: the API lists them
// and grants them with PUT /users/{uid}/roles.
var defaultRoles = []Role{
	{Name: "admin", Description: "Organization administrator.", Entitlements: []string{
		OrgAdministrate, OrgFormatsAdministrate, OrgMembersAdministrate, OrgOSAdministrate,
		OrgOSProfilesAdmin, OrgProjectsAdminister, UserCreate, UserAdministrate}},
	{Name: "designer", Description: "Creates templates and generates images.", Entitlements: []string{
		ApplianceCreate, ImageGenerate, ImagePublish, SoftwareUpload}},
	{Name: "apiuser", Description: "Uses the API with key pairs.", Entitlements: []string{APIKeyAccess}},
	{Name: "user", Description: "Basic user.", Entitlements: []string{
		UserChangePassword, UserProfileEdit, UserProfileAccess}},
	{Name: "migration", Description: "Scans live machines and migrates them.", Entitlements: []string{
		MigrationAccess, MigrationPublish}},
}

// Roles returns the known roles, in a stable order.
func Roles() []Role {
	out := make([]Role, len(defaultRoles))
	copy(out, defaultRoles)
	return out
}

// RoleByName returns a known role.
func RoleByName(name string) (Role, bool) {
	for _, r := range defaultRoles {
		if r.Name == name {
			return r, true
		}
	}
	return Role{}, false
}

// EntitlementDescription returns the description of a known entitlement.
func EntitlementDescription(name string) string { return entitlementDescriptions[name] }

// Entitlements returns the sorted union of the entitlements of roles.
func Entitlements(roles []string) []string {
	set := map[string]bool{}
	for _, name := range roles {
		if r, ok := RoleByName(name); ok {
			for _, e := range r.Entitlements {
				set[e] = true
			}
		}
	}
	out := make([]string, 0, len(set))
	for e := range set {
		out = append(out, e)
	}
	sort.Strings(out)
	return out
}

// Has reports whether roles grant entitlement e.
func Has(roles []string, e string) bool {
	for _, name := range roles {
		if r, ok := RoleByName(name); ok {
			for _, x := range r.Entitlements {
				if x == e {
					return true
				}
			}
		}
	}
	return false
}

// NewUserRoles are the roles given to a user created without an explicit list.
func NewUserRoles() []string { return []string{"designer", "apiuser", "user"} }

// AdminRoles are the roles of the bootstrap administrator.
func AdminRoles() []string { return []string{"admin", "designer", "apiuser", "user", "migration"} }
