package debian

import (
	"slices"
	"testing"
)

func TestBootPackages(t *testing.T) {
	// One list for every release Kiln builds: see networkStack for why trixie
	// keeps isc-dhcp-client.
	want := []string{"linux-image-amd64", "systemd-sysv", "initramfs-tools", "udev", "e2fsprogs", "ifupdown", "isc-dhcp-client"}
	for _, rel := range []string{"11", "bullseye", "12", "13", "Trixie", "", "10", "nonsense"} {
		if got := BootPackages(rel); !slices.Equal(got, want) {
			t.Errorf("BootPackages(%q) = %v, want %v", rel, got, want)
		}
	}
	if got, want := SystemContainerPackages("13"), []string{"systemd-sysv", "ifupdown", "isc-dhcp-client"}; !slices.Equal(got, want) {
		t.Errorf("SystemContainerPackages(13) = %v, want %v", got, want)
	}
	a := BootPackages("12")
	a[0] = "changed"
	if BootPackages("12")[0] == "changed" {
		t.Error("the caller's slice is the package's")
	}
}
