package uforge

import "time"

// Realistic documents, one per root type, shaped like what the API will answer.

var (
	t0 = time.Date(2019, 6, 1, 10, 0, 0, 0, time.UTC)
	t1 = time.Date(2019, 6, 1, 10, 4, 31, 250_000_000, time.UTC)
)

func obj(id int64) Object {
	return Object{Created: Time(t0), DBID: Int64(id), Digest: Str("db79b9a897f9182f71e6c4efa4569f6c"), LastModified: Time(t1)}
}

func fxStatus(uri string) *OpStatus {
	return &OpStatus{Object: Object{DBID: Int64(31)}, Cancelled: Bool(false), Complete: Bool(false), Error: Bool(false),
		Message: Str("Generation queued"), Percentage: Int(0), URI: Str(uri)}
}

func fxTargetFormat() TargetFormat {
	return TargetFormat{Object: obj(12), Name: Str("QCOW2"),
		Format:   &ImageFormat{Object: obj(5), Access: Bool(true), Active: Bool(true), Name: Str("qcow2"), URI: Str("formats/5")},
		Category: &Category{Name: Str("Virtual"), Type: Str("IMAGEFORMAT")},
		Type:     Str("virtual"), TargetPlatformsURIList: []string{}, Access: Bool(true), Active: Bool(true),
		Preselected: Bool(false), URI: Str("orgs/1/targetformats/12")}
}

func fxInstallProfile() *InstallProfile {
	return &InstallProfile{Object: obj(40), DiskSize: Int64(10240), FirewallAuto: Bool(true),
		Groups: []OSGroup{{GroupID: Str("1001"), Name: Str("deploy"), SystemGroup: Bool(false)}},
		HWType: Str("vmx-08"), KernelParameters: Str("console=ttyS0 quiet"), Keyboard: Str("fr-latin1"), KeyboardAuto: Bool(false),
		MemorySize: Int64(1024),
		Nics: []Nic{{AutoConnect: Bool(true), IPv4Method: Str("AUTOMATIC"), Type: Str("ETHERNET"), Name: Str("eth0"), Order: Int(0),
			IPAddresses: []IPAddress{{Address: Str("10.0.0.5"), Gateway: Str("10.0.0.1"), Netmask: Str("255.255.255.0"), Type: Int(4)}}}},
		PartitionTable: &PartitionTable{Disks: []Disk{{Name: Str("sda"), PartitionType: Str("MSDOS"), Size: Int64(10240),
			Partitions: []Partition{
				{Fstype: Str("ext4"), Label: Str("root"), Mpoint: Str("/"), Name: Str("sda1"), Size: Int64(9216), Growable: Bool(true)},
				{Fstype: Str("linux-swap"), Name: Str("sda2"), Size: Int64(1024), LogicalPartitions: []Partition{}},
			}}}},
		RootUser: &OSUser{DisablePasswordLogin: Bool(true), Name: Str("root"), Password: Str("$6$salt$hash"), Encrypted: Bool(true),
			SSHKeys: []SSHKey{{Name: Str("ops"), PublicKey: Str("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG ops@example")}}},
		SwapSize: Int64(512), Timezone: Str("Europe/Paris"),
		Users: []OSUser{{Name: Str("deploy"), FullName: Str("Deploy <bot> & co"), HomeDir: Str("/home/deploy"), Shell: Str("/bin/bash"),
			Sudo: Int(1), UserID: Str("1001"), PrimaryGroup: Str("deploy")}},
		SeLinuxMode: Str("disabled")}
}

func fxLinuxProfile() LinuxProfile {
	return LinuxProfile{DistribProfile: DistribProfile{Object: obj(4), Active: Bool(true), Arch: Str("x86_64"),
		Description: Str("Minimal Debian"), DistributionURI: Str("distributions/1"), InstalledSize: Int64(1_234_567_890),
		Name: Str("Minimal"), StandardProfileURI: Str("distributions/1/profiles/4"), URI: Str("distributions/1/profiles/4"), Version: Str("12")},
		ExcludeDocs: Bool(false), PackagesURI: Str("distributions/1/profiles/4/pkgs"),
		PackageURIs: []string{"distributions/1/pkgs/104169", "distributions/1/pkgs/104170"}}
}

func fxDistribution() Distribution {
	return Distribution{Object: obj(1), Active: Bool(true), Arch: Str("x86_64"), BaseProfilesURI: Str("distributions/1/profiles"),
		Description: Str("Debian 12 (bookworm)"), Family: Str("linux"), Name: Str("Debian"), PkgType: Str("deb"),
		Profiles: []LinuxProfile{fxLinuxProfile()}, ReleaseDate: Time(t0), URI: Str("distributions/1"), Version: Str("12"),
		Visible: Bool(true)}
}

func fxPkg() Pkg {
	return Pkg{UploadObject: UploadObject{Object: obj(104169), SHA256Sum: Str("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"), Size: Int64(1_402_880)},
		Arch: Str("amd64"), FullName: Str("nginx_1.22.1-9_amd64.deb"), Name: Str("nginx"), PkgBuildDate: Time(t0), Release: Str("9"),
		URI: Str("distributions/1/pkgs/104169"), Version: Str("1.22.1"), Epoch: Int(0)}
}

func fxImage() Image {
	img := Image{UploadObject: UploadObject{Object: obj(9), Size: Int64(0), Status: fxStatus("users/u/scannedinstances/3/scans/7/images/9/status")},
		ParentURI: Str("users/u/scannedinstances/3/scans/7"), Compress: Bool(true), DownloadKey: Str("k1"),
		DownloadURI: Str("users/u/scannedinstances/3/scans/7/images/9/downloads?downloadId=k1"), FileSize: Int64(0),
		InstallProfile: &InstallProfile{DiskSize: Int64(10240), MemorySize: Int64(1024), SwapSize: Int64(512)},
		Name:           Str("my-scan"), Revision: Int(1), StatusURI: Str("users/u/scannedinstances/3/scans/7/images/9/status"),
		URI: Str("users/u/scannedinstances/3/scans/7/images/9"), Version: Str("1.0")}
	tf := fxTargetFormat()
	img.TargetFormat = &tf
	return img
}

func fxScan() Scan {
	sf := ScannedFile{FileEntry: FileEntry{Checksum: Str("d41d8cd98f00b204e9800998ecf8427e"), Directory: Bool(false),
		FullPath: Str("/etc/nginx/nginx.conf"), Group: Str("root"), Name: Str("nginx.conf"), Owner: Str("root"), Permissions: Str("0644"), Size: Int64(1490)},
		ChangeType: Str("modified"), Selected: Bool(true), Uploaded: Bool(true)}
	return Scan{ScanSummary: ScanSummary{Object: obj(7), BinariesExtracted: Bool(true), BinariesReceived: Bool(true), Error: Bool(false),
		ImagesURI: Str("users/u/scannedinstances/3/scans/7/images"), InstallProfile: fxInstallProfile(), Name: Str("web-01 2019-06-01"),
		OverlayCRC: Str("3632233996"), Scanned: Bool(true), ScannedInstanceURI: Str("users/u/scannedinstances/3"),
		Status:          &OpStatus{Complete: Bool(true), Error: Bool(false), Cancelled: Bool(false), Percentage: Int(100), Message: Str("done")},
		TotalFilesAdded: Int(12), TotalPackages: Int(312), UncompressedBinarySize: Int64(52_428_800), URI: Str("users/u/scannedinstances/3/scans/7")},
		Images: []Image{fxImage()},
		Imports: []ScanImport{{ImportedObjectName: Str("web"), ImportedObjectURI: Str("users/u/appliances/5"), ImportedObjectVersion: Str("1.0"),
			Status: &OpStatus{Complete: Bool(true)}, URI: Str("users/u/scannedinstances/3/scans/7/imports/2")}},
		Packages: []ScannedPkg{{Pkg: fxPkg(), FromRepo: Bool(true), Selected: Bool(true), ModifiedFiles: []ScannedFile{sf}}}}
}

// fixtures returns one realistic document per root type.
func fixtures() map[string]Root {
	tf := fxTargetFormat()
	scan := fxScan()
	role := Role{Object: obj(2), Name: Str("designer"), Description: Str("Creates templates"),
		Entitlements: []Entitlement{{Name: Str("image_generate"), Description: Str("Access to generate images.")}}}
	user := User{UserProfile: UserProfile{Object: obj(101), LoginName: Str("john"), Active: Bool(true), Email: Str("john@example.com"),
		FirstName: Str("John"), Surname: Str("Doe")},
		Address: &Address{Object: obj(101), Country: Str("Mexico"), RegionState: Str("CDMX")}, Admin: Bool(false), APIKeysQuota: Int(2),
		BaseImagesURI: Str("users/john/images"), BaseTargetFormatsURI: Str("users/john/targetformats"), CreationCode: Str("c"),
		OrgURIs: []string{"orgs/1"}, PromoCode: Str("p"), Roles: []Role{role}, ScannedInstancesURI: Str("users/john/scannedinstances"),
		URI: Str("users/john")}
	org := Org{Object: obj(1), ActivateNewUsers: Bool(true), DefaultOrg: Bool(true), Name: Str("default"),
		TargetFormats: []TargetFormat{tf}, TargetFormatsURI: Str("orgs/1/targetformats"), URI: Str("orgs/1")}
	appliance := Appliance{Object: obj(5), UUID: Str("0f8c6a8e-3b9d-4a57-9b1e-1a2b3c4d5e6f"), ArchName: Str("x86_64"),
		BaseImagesURI: Str("users/u/appliances/5/images"), Description: Str("nginx on Debian"), DistributionName: Str("Debian 12"),
		DistributionURI: Str("distributions/1"), ImageURIs: []string{"users/u/appliances/5/images/3"}, InstallProfile: fxInstallProfile(),
		Name: Str("web"), OrgURI: Str("orgs/1"), OSProfile: func() *LinuxProfile { p := fxLinuxProfile(); return &p }(),
		Revision: Int(2), Shared: Bool(false), Size: Int64(0), URI: Str("users/u/appliances/5"), Version: Str("1.0")}
	si := ScannedInstance{Object: obj(3), Distribution: func() *Distribution { d := fxDistribution(); return &d }(), Name: Str("web-01"),
		OverlayIncluded: Bool(true), Scans: []Scan{scan}, ScansURI: Str("users/u/scannedinstances/3/scans"), TotalScans: Int(1),
		URI: Str("users/u/scannedinstances/3")}
	quota := Quota{Frequency: Str("none"), Limit: Int64(-1), Nb: Int64(3), Type: Str("generation"), URI: Str("users/john/quotas")}
	return map[string]Root{
		"serviceStatus": ServiceStatus{Object: obj(1), Alive: Bool(true), Version: Str("3.8.13"), ServiceLoad: Int(3)},
		"uforgeError": UForgeError{LocalizedErrorMsg: &LocalizedMessage{Message: Str("Image already being generated"),
			MessageID: Str("image.generation.duplicate"), Parameters: []string{"5", "QCOW2"}},
			RequestMethod: Str("POST"), RequestURI: Str("users/u/appliances/5/images"), StatusCode: Int(409), Timestamp: Time(t1)},
		"user":            user,
		"users":           Users{Objects: Objects{Total: Int64(1)}, Users: []User{user}},
		"role":            role,
		"roles":           Roles{Objects: Objects{Total: Int64(1)}, Roles: []Role{role}},
		"entitlement":     Entitlement{Name: Str("image_generate"), Description: Str("Access to generate images.")},
		"entitlements":    Entitlements{Objects: Objects{Total: Int64(1)}, Entitlements: []Entitlement{{Name: Str("appliance_create")}}},
		"apiKeyPair":      APIKeyPair{Object: obj(8), Name: Str("ci"), Description: Str("CI key"), PublicKey: Str("pub"), SecretKey: Str("sec"), URI: Str("users/john/apikeys/8")},
		"apiKeyPairs":     APIKeyPairs{Objects: Objects{Total: Int64(1)}, APIKeyPairs: []APIKeyPair{{Name: Str("ci"), PublicKey: Str("pub")}}},
		"org":             org,
		"orgs":            Orgs{Objects: Objects{Total: Int64(1)}, Orgs: []Org{org}},
		"distribution":    fxDistribution(),
		"distributions":   Distributions{Objects: Objects{Total: Int64(1)}, Distributions: []Distribution{fxDistribution()}},
		"distribProfile":  OSProfile{LinuxProfile: fxLinuxProfile()},
		"linuxProfile":    fxLinuxProfile(),
		"distribProfiles": DistribProfiles{Objects: Objects{Total: Int64(1)}, DistribProfiles: []LinuxProfile{fxLinuxProfile()}},
		"package":         fxPkg(),
		"packages": PkgList{AddedPkgURIs: []string{"distributions/1/pkgs/104169"}, DeletedPkgURIs: []string{},
			Pkgs: []Pkg{fxPkg()}},
		"targetFormat":     tf,
		"targetFormats":    TargetFormats{Objects: Objects{Total: Int64(1)}, TargetFormats: []TargetFormat{tf}},
		"imageFormat":      *tf.Format,
		"imageFormats":     ImageFormats{Objects: Objects{Total: Int64(1)}, ImageFormats: []ImageFormat{*tf.Format}},
		"category":         Category{Object: obj(3), Name: Str("Virtual"), SubCategories: []Category{{Name: Str("KVM")}}, Type: Str("IMAGEFORMAT")},
		"appliance":        appliance,
		"appliances":       Appliances{Objects: Objects{Total: Int64(1)}, Appliances: []Appliance{appliance}},
		"installProfile":   *fxInstallProfile(),
		"osUser":           *fxInstallProfile().RootUser,
		"osGroup":          fxInstallProfile().Groups[0],
		"sshKey":           SSHKey{Name: Str("ops"), PublicKey: Str("ssh-ed25519 AAAA ops@example"), URI: Str("users/john/sshkeys/1")},
		"partitionTable":   *fxInstallProfile().PartitionTable,
		"disk":             fxInstallProfile().PartitionTable.Disks[0],
		"partition":        fxInstallProfile().PartitionTable.Disks[0].Partitions[0],
		"logicalGroup":     LogicalGroup{GroupName: Str("vg0"), Name: Str("vg0"), DiskURIs: []string{"disks/1"}},
		"logicalVolume":    LogicalVolume{GroupURI: Str("lg/1"), Name: Str("lv_root"), Volumes: []Partition{{Mpoint: Str("/"), Fstype: Str("xfs"), Size: Int64(4096)}}},
		"nic":              fxInstallProfile().Nics[0],
		"ipAddress":        fxInstallProfile().Nics[0].IPAddresses[0],
		"image":            fxImage(),
		"images":           Images{Objects: Objects{Total: Int64(1)}, Images: []Image{fxImage()}},
		"status":           *fxStatus("users/u/appliances/5/images/3/status"),
		"statuses":         OpStatuses{Objects: Objects{Total: Int64(1)}, Statuses: []OpStatus{*fxStatus("s")}},
		"imagePkg":         ImagePkg{Level: Int(1), NativeFromDistribution: Bool(true), Pkg: func() *Pkg { p := fxPkg(); return &p }()},
		"imagePkgs":        ImagePkgs{Objects: Objects{Total: Int64(1)}, ImagePkgs: []ImagePkg{{Level: Int(0)}}},
		"scannedInstance":  si,
		"scannedInstances": ScannedInstances{Objects: Objects{Total: Int64(1)}, ScannedInstances: []ScannedInstance{si}},
		"scan":             scan,
		"scans":            Scans{Objects: Objects{Total: Int64(1)}, Scans: []Scan{scan}},
		"scanSummary":      scan.ScanSummary,
		"scannedPackage":   scan.Packages[0],
		"scannedPackages":  ScannedPkgs{Objects: Objects{Total: Int64(1)}, ScannedPackages: scan.Packages},
		"scannedFile":      scan.Packages[0].ModifiedFiles[0],
		"scannedFiles":     ScannedFiles{Objects: Objects{Total: Int64(1)}, ScannedFiles: scan.Packages[0].ModifiedFiles},
		"fileEntry":        scan.Packages[0].ModifiedFiles[0].FileEntry,
		"scanImport":       scan.Imports[0],
		"scanImports":      ScanImports{Objects: Objects{Total: Int64(1)}, ScanImports: scan.Imports},
		"osConfig":         OsConfig{Edition: Str("STANDARD"), Type: Str("FULL"), Language: Str("en-US")},
		"address":          *user.Address,
		"userProfile":      user.UserProfile,
		"quota":            quota,
		"quotas":           Quotas{Objects: Objects{Total: Int64(1)}, Quotas: []Quota{quota}},
	}
}

// emptyCollections are the collection roots with nothing in them: the wrappers must still appear.
func emptyCollections() map[string]Root {
	return map[string]Root{
		"users": Users{}, "roles": Roles{}, "entitlements": Entitlements{Objects: Objects{Total: Int64(0)}}, "apiKeyPairs": APIKeyPairs{},
		"orgs": Orgs{}, "distributions": Distributions{}, "distribProfiles": DistribProfiles{Objects: Objects{Total: Int64(0)}},
		"packages": PkgList{}, "targetFormats": TargetFormats{}, "imageFormats": ImageFormats{}, "appliances": Appliances{},
		"images": Images{Objects: Objects{Total: Int64(0)}}, "statuses": OpStatuses{}, "imagePkgs": ImagePkgs{},
		"scannedInstances": ScannedInstances{}, "scans": Scans{}, "scannedPackages": ScannedPkgs{}, "scannedFiles": ScannedFiles{},
		"scanImports": ScanImports{}, "quotas": Quotas{},
	}
}
