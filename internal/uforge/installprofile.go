package uforge

// InstallProfile is the XSD type InstallProfile (element <installProfile>). Describes the installation
// profile of an appliance template.
type InstallProfile struct {
	Object
	ActivationKey        *string         `uforge:"activationKey"`
	ApplianceURI         *string         `uforge:"applianceUri"`
	DiskSize             *int64          `uforge:"diskSize"`
	FirewallAuto         *bool           `uforge:"firewallAuto"`
	FirewallEnabled      *bool           `uforge:"firewallEnabled"`
	Groups               []OSGroup       `uforge:"groups,list=group"`
	GroupsURI            *string         `uforge:"groupsUri"`
	HWType               *string         `uforge:"hwType"`
	InternetSettingsAuto *bool           `uforge:"internetSettingsAuto"`
	KernelParameters     *string         `uforge:"kernelParameters"`
	Keyboard             *string         `uforge:"keyboard,enum=InstallProfileKeyboard"`
	KeyboardAuto         *bool           `uforge:"keyboardAuto"`
	MemorySize           *int64          `uforge:"memorySize"`
	Nics                 []Nic           `uforge:"nics,list=nic"`
	NicsURI              *string         `uforge:"nicsUri"`
	PartitionAuto        *bool           `uforge:"partitionAuto"`
	PartitionTable       *PartitionTable `uforge:"partitionTable"`
	RootUser             *OSUser         `uforge:"rootUser"`
	RunSysprep           *bool           `uforge:"runSysprep"`
	SkipLicenses         *bool           `uforge:"skipLicenses"`
	SwapSize             *int64          `uforge:"swapSize"`
	Timezone             *string         `uforge:"timezone"`
	TimezoneAuto         *bool           `uforge:"timezoneAuto"`
	TimezoneCity         *string         `uforge:"timezoneCity"`
	UpdateTools          *bool           `uforge:"updateTools"`
	URI                  *string         `uforge:"uri"`
	Users                []OSUser        `uforge:"users,list=user"`
	UsersURI             *string         `uforge:"usersUri"`
	VagrantUser          *string         `uforge:"vagrantUser"`
	WelcomeMsg           *string         `uforge:"welcomeMsg"`
	SeLinuxMode          *string         `uforge:"seLinuxMode,enum=SeLinuxMode"`
}

// RootName implements Root.
func (InstallProfile) RootName() string { return "installProfile" }

// OSUser is the XSD type OSUser (element <osUser>). Description of an operating system user for
// filesystem directory and file permissions.
type OSUser struct {
	Object
	DisablePasswordLogin *bool    `uforge:"disablePasswordLogin"`
	Encrypted            *bool    `uforge:"encrypted"`
	FullName             *string  `uforge:"fullName"`
	HomeDir              *string  `uforge:"homeDir"`
	Name                 *string  `uforge:"name"`
	Password             *string  `uforge:"password"`
	PasswordAuto         *bool    `uforge:"passwordAuto"`
	PrimaryGroup         *string  `uforge:"primaryGroup"`
	PrimaryGroupAuto     *bool    `uforge:"primaryGroupAuto"`
	SecondaryGroups      *string  `uforge:"secondaryGroups"`
	Shell                *string  `uforge:"shell"`
	SSHKeys              []SSHKey `uforge:"sshKeys,list=sshKey"`
	Sudo                 *int     `uforge:"sudo"`
	SystemUser           *bool    `uforge:"systemUser"`
	URI                  *string  `uforge:"uri"`
	UserID               *string  `uforge:"userId"`
	UserIDAuto           *bool    `uforge:"userIdAuto"`
}

// RootName implements Root.
func (OSUser) RootName() string { return "osUser" }

// OSGroup is the XSD type OSGroup (element <osGroup>). Description of an operating system group for
// filesystem directory and file permissions.
type OSGroup struct {
	Object
	GroupID     *string `uforge:"groupId"`
	GroupIDAuto *bool   `uforge:"groupIdAuto"`
	Name        *string `uforge:"name"`
	Sudo        *int    `uforge:"sudo"`
	SystemGroup *bool   `uforge:"systemGroup"`
	URI         *string `uforge:"uri"`
	Password    *string `uforge:"password"`
	Encrypted   *bool   `uforge:"encrypted"`
}

// RootName implements Root.
func (OSGroup) RootName() string { return "osGroup" }

// SSHKey is the XSD type SSHKey (element <sshKey>). Provides information of a public SSH key.
type SSHKey struct {
	Object
	Name      *string `uforge:"name"`
	PublicKey *string `uforge:"publicKey"`
	URI       *string `uforge:"uri"`
}

// RootName implements Root.
func (SSHKey) RootName() string { return "sshKey" }

// Nic is the XSD type Nic (element <nic>). Provides the information of a network interface card (NIC).
type Nic struct {
	Object
	AutoConnect *bool       `uforge:"autoConnect"`
	IPAddresses []IPAddress `uforge:"ipAddresses,list=ipAddress"`
	IPv4Method  *string     `uforge:"ipv4Method,enum=NicIPv4Method"`
	IPv6Method  *string     `uforge:"ipv6Method,enum=NicIPv6Method"`
	Name        *string     `uforge:"name"`
	ParentURI   *string     `uforge:"parentUri"`
	Type        *string     `uforge:"type,enum=NicType"`
	Order       *int        `uforge:"order"`
	URI         *string     `uforge:"uri"`
}

// RootName implements Root.
func (Nic) RootName() string { return "nic" }

// IPAddress is the XSD type IPAddress (element <ipAddress>). Holds IP address information when setting
// NICs on an appliance template
type IPAddress struct {
	Object
	Address   *string `uforge:"address"`
	Gateway   *string `uforge:"gateway"`
	Netmask   *string `uforge:"netmask"`
	ParentURI *string `uforge:"parentUri"`
	Type      *int    `uforge:"type"`
	URI       *string `uforge:"uri"`
}

// RootName implements Root.
func (IPAddress) RootName() string { return "ipAddress" }
