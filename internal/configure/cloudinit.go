package configure

import (
	"fmt"
	"strings"

	"github.com/kilnhq/kiln/internal/spec"
)

const cloudInitDropIn = "/etc/cloud/cloud.cfg.d/90_kiln.cfg"

// cloudInit configures cloud-init for the cloud the image is made for: where
// it looks for its metadata (datasource_list, with None last so that an
// instance without metadata still boots instead of waiting for it), and the
// growing of the root partition and filesystem to the disk the instance got
// (growpart and resize_rootfs, cloud-init's defaults, written out so that the
// image says what it does).
//
// The network stays the install profile's (DHCP on the first NIC, or its
// static address): cloud-init would otherwise write its own ifupdown stanza for
// the same interface, and two definitions of one interface make ifup fail.
// Every supported cloud hands out addresses over DHCP.
func cloudInit(t tree, ci *spec.CloudInit) error {
	if ci == nil {
		return nil
	}
	if !t.exists("/usr/bin/cloud-init") {
		return fmt.Errorf("cloud-init: %w", errNotInstalled)
	}
	list := append(append([]string(nil), ci.Datasources...), "None")
	conf := "# Written by Kiln for this image's target platform.\n" +
		"datasource_list: [ " + strings.Join(list, ", ") + " ]\n" +
		"network:\n  config: disabled\n" +
		"growpart:\n  mode: auto\n  devices: [ \"/\" ]\n" +
		"resize_rootfs: true\n"
	return t.writeFile(cloudInitDropIn, []byte(conf), 0o644, rootOwner)
}
