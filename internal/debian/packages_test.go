package debian

import (
	"slices"
	"testing"
)

func TestBootPackages(t *testing.T) {
	// See networkStack for why trixie runs isc-dhcp-client and keeps
	// dhcpcd-base.
	common := []string{"linux-image-amd64", "systemd-sysv", "initramfs-tools", "udev", "e2fsprogs", "ifupdown", "isc-dhcp-client"}
	for rel, want := range map[string][]string{
		"11": common, "bullseye": common, "12": common, "Bookworm": common,
		"13": append(slices.Clone(common), "dhcpcd-base"), "trixie": append(slices.Clone(common), "dhcpcd-base"),
		"": common, "10": common, "forky": common, "nonsense": common,
	} {
		if got := BootPackages(rel); !slices.Equal(got, want) {
			t.Errorf("BootPackages(%q) = %v, want %v", rel, got, want)
		}
	}
	for _, rel := range []string{"11", "13", ""} {
		if got, want := SystemContainerPackages(rel), []string{"systemd-sysv", "ifupdown", "isc-dhcp-client"}; !slices.Equal(got, want) {
			t.Errorf("SystemContainerPackages(%q) = %v, want %v", rel, got, want)
		}
	}
	a := BootPackages("12")
	a[0] = "changed"
	if BootPackages("12")[0] == "changed" {
		t.Error("the caller's slice is the package's")
	}
	c := SystemContainerPackages("12")
	c[1] = "changed"
	if SystemContainerPackages("12")[1] == "changed" {
		t.Error("the caller's slice is the package's")
	}
}
