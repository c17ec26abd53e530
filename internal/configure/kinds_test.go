package configure

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kilnhq/kiln/internal/spec"
)

func TestApplyCloudInit(t *testing.T) {
	root := fakeTree(t)
	in := spec.Install{CloudInit: &spec.CloudInit{Datasources: []string{"ConfigDrive", "OpenStack"}}}
	err := Apply(context.Background(), root, in)
	if err == nil || !strings.Contains(err.Error(), "cloud-init") {
		t.Fatalf("cloud-init not installed: Apply = %v, want an error naming cloud-init", err)
	}
	if err := os.MkdirAll(filepath.Join(root, "usr/bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "usr/bin/cloud-init"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := Apply(context.Background(), root, in); err != nil {
		t.Fatal(err)
	}
	want := "# Written by Kiln for this image's target platform.\n" +
		"datasource_list: [ ConfigDrive, OpenStack, None ]\n" +
		"network:\n  config: disabled\n" +
		"growpart:\n  mode: auto\n  devices: [ \"/\" ]\n" +
		"resize_rootfs: true\n"
	checkFile(t, root, "etc/cloud/cloud.cfg.d/90_kiln.cfg", ptr(want), 0o644, 0, 0)
	// The install profile keeps the network.
	checkFile(t, root, "etc/network/interfaces", ptr(interfacesHeader+"iface nic inet dhcp\n"), 0o644, 0, 0)
}

func TestApplyKinds(t *testing.T) {
	for _, tt := range []struct {
		kind             Kind
		network, console bool
	}{
		{Machine, true, true},
		{SystemContainer, true, false},
		{AppContainer, false, false},
	} {
		root := fakeTree(t)
		if err := Apply(context.Background(), root, spec.Install{}, WithKind(tt.kind)); err != nil {
			t.Fatalf("kind %s: %v", tt.kind, err)
		}
		_, err := os.Lstat(filepath.Join(root, "etc/network/interfaces"))
		data, _ := os.ReadFile(filepath.Join(root, "etc/network/interfaces"))
		hasNet := err == nil && strings.Contains(string(data), "Written by Kiln")
		_, err = os.Lstat(filepath.Join(root, "etc/systemd/system/getty.target.wants/serial-getty@ttyS0.service"))
		hasConsole := err == nil
		if hasNet != tt.network || hasConsole != tt.console {
			t.Errorf("kind %s: network written %v (want %v), serial console %v (want %v)", tt.kind, hasNet, tt.network, hasConsole, tt.console)
		}
		// The hostname and the accounts are configured whatever the kind.
		checkFile(t, root, "etc/hostname", ptr("localhost\n"), 0o644, 0, 0)
	}
}
