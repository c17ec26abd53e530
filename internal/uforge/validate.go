package uforge

import "slices"

// Input checks for the enumerations the API validates itself (and that the decoders already
// enforce on every enum field). They are exported so that service code validating values that
// did not come through a decoder (defaults, store contents) uses the same lists as uforge.xsd.

// ValidKeyboard reports whether s is an InstallProfile.keyboard value of uforge.xsd.
func ValidKeyboard(s string) bool { return slices.Contains(enumValues("InstallProfileKeyboard"), s) }

// ValidImageFormatName reports whether s is an ImageFormat.name of uforge.xsd (qcow2, vmdk …).
func ValidImageFormatName(s string) bool { return slices.Contains(enumValues("ImageFormatName"), s) }

// ValidDistributionArch reports whether s is a Distribution.arch of uforge.xsd (x86_64, i686 …).
func ValidDistributionArch(s string) bool {
	return slices.Contains(enumValues("DistributionArch"), s)
}

// ValidDistributionName reports whether s is a Distribution.name of uforge.xsd (Debian, CentOS …).
func ValidDistributionName(s string) bool {
	return slices.Contains(enumValues("DistributionName"), s)
}

// ValidDistributionFamily reports whether s is a Distribution.family of uforge.xsd.
func ValidDistributionFamily(s string) bool {
	return slices.Contains(enumValues("DistributionFamily"), s)
}

// ValidTargetFormatType reports whether s is a TargetFormat.type (cloud, virtual, container, physical).
func ValidTargetFormatType(s string) bool {
	return slices.Contains(enumValues("TargetFormatType"), s)
}

// ValidSeLinuxMode reports whether s is an InstallProfile.seLinuxMode value.
func ValidSeLinuxMode(s string) bool { return slices.Contains(enumValues("SeLinuxMode"), s) }
