package uforge

// Enumerations of uforge.xsd, keyed by <Type><Field>.

func enumValues(key string) []string {
	switch key {
	case "CategoryType":
		return []string{"PROJECT", "TEMPLATE", "IMAGEFORMAT"}
	case "DiskName":
		return []string{"sda", "sdb", "sdc", "sdd", "sde", "sdf"}
	case "DiskPartitionType":
		return []string{"LVM", "MSDOS"}
	case "DistributionArch":
		return []string{"i386", "i586", "i686", "noarch", "x86_64"}
	case "DistributionFamily":
		return []string{"linux", "unix", "windows"}
	case "DistributionName":
		return []string{"CentOS", "Debian", "Fedora Core", "OpenSUSE", "Oracle Linux", "RedHat Enterprise Linux", "Scientific Linux", "SUSE Linux Enterprise Server", "Ubuntu", "Windows"}
	case "ImageFormatName":
		return []string{"aws", "azure", "cloudburstvmware", "cloudstackova", "cloudstackqcow2", "cloudstackvhd", "cloudsigmaraw", "cloudwatt", "docker", "esx", "google", "hyper-v", "hyperv2012", "ISO", "PXE", "kvm", "k5vmdk", "lxc", "openshift", "openstackqcow2", "openstackvdi", "openstackvhd", "openstackvmdk", "outscale", "oracleraw", "ovf", "ovf09", "qcow2", "raw", "susecloud", "targz", "vagrant", "vbox", "vcenter", "vcloud", "vhd", "vmware", "xen", "xenserver"}
	case "InstallProfileKeyboard":
		return []string{"ar-azerty", "ar-azerty-digits", "ar-digits", "ar-qwerty", "ar-qwerty-digits", "be-latin1", "ben", "ben-probhat", "bg-bds-utf8", "bg-pho-utf8", "br-abnt2", "cf", "croat", "cz-lat2", "cz-us-qwertz", "de", "de-latin1", "de-latin1-nodeadkeys", "dev", "dk", "dk-latin1", "dvorak", "es", "et", "fi", "fi-latin1", "fr", "fr-ch", "fr-ch-latin1", "fr-latin1", "fr-latin9", "fr-pc", "gr", "guj", "gur", "hu", "hu101", "ie", "is-latin1", "it", "it-ibm", "it2", "jp106", "ko", "la-latin1", "mk-utf", "nl", "no", "pl2", "pt-latin1", "ro", "ro-cedilla", "ro-std", "ro-std-cedilla", "ru", "sg", "sg-latin1", "sk-qwerty", "sloven", "sr-cy", "sr-latin1", "sv-latin1", "tj", "tml-inscript", "tml-uni", "trq", "ua-utf", "uk", "us", "us-acentos"}
	case "NicIPv4Method":
		return []string{"AUTOMATIC", "MANUAL", "DISABLED"}
	case "NicIPv6Method":
		return []string{"AUTOMATIC", "MANUAL", "IGNORE"}
	case "NicType":
		return []string{"ETHERNET"}
	case "OsConfigEdition":
		return []string{"DATACENTER", "STANDARD", "ENTERPRISE", "WEBSERVER", "UNKNOWN"}
	case "OsConfigType":
		return []string{"CORE", "FULL", "UNKNOWN"}
	case "PartitionFstype":
		return []string{"btrfs", "ext2", "ext3", "ext4", "Extended", "fat16", "fat32", "jfs", "linux-swap", "lvm2", "ntfs", "unformatted", "xfs", "reserved"}
	case "QuotaFrequency":
		return []string{"monthly", "none"}
	case "QuotaType":
		return []string{"appliance", "diskusage", "generation", "scan"}
	case "ScannedFileChangeType":
		return []string{"added", "deleted", "modified"}
	case "SeLinuxMode":
		return []string{"disabled", "permissive", "enforcing"}
	case "TargetFormatCredAccountType":
		return []string{"aws", "outscale", "azure", "google", "cloudstack", "openstack", "openshift", "vclouddirector", "vsphere", "k5", "docker", "oracle"}
	case "TargetFormatType":
		return []string{"cloud", "virtual", "container", "physical"}
	}
	return nil
}
