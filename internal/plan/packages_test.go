package plan

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kilnhq/kiln/examples"
	"github.com/kilnhq/kiln/internal/spec"
	"github.com/kilnhq/kiln/internal/target"
	"github.com/kilnhq/kiln/internal/target/live"
)

func names(extra ...string) []string {
	return append([]string{"e2fsprogs", "ifupdown", "initramfs-tools", "isc-dhcp-client", "linux-image-amd64", "systemd-sysv", "udev"}, extra...)
}

const testKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeFakeFakeFakeFakeFakeFakeFakeFakeFakeFake test"

// packageSetOf is the package set of s for the format it names (QCOW2 when none).
func packageSetOf(s *spec.Spec) []spec.Package {
	f, ok := target.Resolve(s.Output.Format)
	if !ok {
		f, _ = target.ByName("QCOW2")
	}
	applyConventions(&s.Install, f)
	return packageSet(s, f, kindOf(f))
}

func TestPackageSet(t *testing.T) {
	tests := []struct {
		name string
		spec spec.Spec
		want []spec.Package
	}{
		{
			name: "defaults add only what booting needs",
			spec: spec.Spec{Install: spec.Install{Locale: "C.UTF-8", Keyboard: "us"}},
			want: pkgs(names()...),
		},
		{
			name: "empty profile fields mean the defaults",
			spec: spec.Spec{},
			want: pkgs(names()...),
		},
		{
			name: "a non-C locale needs locales",
			spec: spec.Spec{Install: spec.Install{Locale: "fr_FR.UTF-8"}},
			want: pkgs(sorted(names("locales"))...),
		},
		{
			name: "a non-us keymap needs keyboard-configuration and console-setup",
			spec: spec.Spec{Install: spec.Install{Keyboard: "fr"}},
			want: pkgs(sorted(names("console-setup", "keyboard-configuration"))...),
		},
		{
			name: "sudo user and user key",
			spec: spec.Spec{Install: spec.Install{Users: []spec.User{{Name: "ops", Sudo: true, SSHKeys: []string{testKey}}}}},
			want: pkgs(sorted(names("openssh-server", "sudo"))...),
		},
		{
			name: "root key alone needs openssh-server",
			spec: spec.Spec{Install: spec.Install{RootSSHKeys: []string{testKey}}},
			want: pkgs(sorted(names("openssh-server"))...),
		},
		{
			name: "containers get no kernel or boot stack",
			spec: spec.Spec{Packages: []spec.Package{{Name: "nginx"}}, Output: spec.Output{Format: "Docker"}},
			want: pkgs("nginx"),
		},
		{
			name: "system containers get an init and DHCP but no kernel",
			spec: spec.Spec{Output: spec.Output{Format: "LXC Container"}},
			want: pkgs("ifupdown", "isc-dhcp-client", "systemd-sysv"),
		},
		{
			name: "live media add live-boot",
			spec: spec.Spec{Output: spec.Output{Format: "ISO"}},
			want: pkgs(sorted(names("live-boot"))...),
		},
		{
			name: "cloud-init adds growpart",
			spec: spec.Spec{Install: spec.Install{CloudInit: &spec.CloudInit{Datasources: []string{"Ec2"}}}},
			want: pkgs(sorted(names("cloud-guest-utils", "cloud-init"))...),
		},
		{
			name: "user without sudo or keys adds nothing",
			spec: spec.Spec{Install: spec.Install{Users: []spec.User{{Name: "bob"}}}},
			want: pkgs(names()...),
		},
		{
			name: "spec versions win and duplicates collapse",
			spec: spec.Spec{
				Packages: []spec.Package{{Name: "vim"}, {Name: "udev", Version: "252.39-1~deb12u2"}, {Name: "vim"}},
				Install:  spec.Install{Users: []spec.User{{Name: "a", Sudo: true}, {Name: "b", Sudo: true}}},
			},
			want: func() []spec.Package {
				p := pkgs(sorted(names("sudo", "vim"))...)
				for i := range p {
					if p[i].Name == "udev" {
						p[i].Version = "252.39-1~deb12u2"
					}
				}
				return p
			}(),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := packageSetOf(&tt.spec)
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("PackageSet (-want +got):\n%s", d)
			}
		})
	}
}

func pkgs(ns ...string) []spec.Package {
	out := make([]spec.Package, len(ns))
	for i, n := range ns {
		out[i] = spec.Package{Name: n}
	}
	return out
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func TestReferenceExample(t *testing.T) {
	s, err := examples.Reference()
	if err != nil {
		t.Fatalf("examples/reference.yaml: %v", err)
	}
	if s.Distribution.Release != "12" || s.Install.Hostname != "kiln-ref" || s.Install.Timezone != "Europe/Paris" ||
		s.Install.Disk.SizeMB != 2048 || s.Output.Format != "qcow2" || s.Install.RootPassword != "kiln" {
		t.Errorf("unexpected reference spec: %+v", s)
	}
	if len(s.Install.Users) != 1 || s.Install.Users[0].Name != "ops" || !s.Install.Users[0].Sudo || len(s.Install.Users[0].SSHKeys) != 1 {
		t.Errorf("unexpected users: %+v", s.Install.Users)
	}
	want := sorted(names("openssh-server", "sudo", "kmod", "iproute2", "netbase"))
	if d := cmp.Diff(pkgs(want...), packageSetOf(s)); d != "" {
		t.Errorf("PackageSet(reference) (-want +got):\n%s", d)
	}
}

func TestLiveMediaGetWhatLiveNeeds(t *testing.T) {
	for _, format := range []string{"ISO", "PXE"} {
		got := map[string]bool{}
		for _, p := range packageSetOf(&spec.Spec{Output: spec.Output{Format: format}}) {
			got[p.Name] = true
		}
		for _, name := range live.Packages() {
			if !got[name] {
				t.Errorf("%s: %s is not in the package set", format, name)
			}
		}
	}
}
