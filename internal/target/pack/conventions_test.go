package pack

import (
	"strings"
	"testing"

	"github.com/kilnhq/kiln/internal/spec"
)

func TestApplyConventions(t *testing.T) {
	box := &spec.Spec{Output: spec.Output{Format: "Vagrant Base Box"}}
	ApplyConventions(box)
	ApplyConventions(box) // idempotent: a stored spec may pass through again
	if len(box.Install.Users) != 1 || box.Install.Users[0].Name != "vagrant" || !box.Install.Users[0].Sudo {
		t.Fatalf("vagrant box users = %+v", box.Install.Users)
	}
	own := &spec.Spec{Output: spec.Output{Format: "vagrant"}, Install: spec.Install{Users: []spec.User{{Name: "vagrant", Shell: "/bin/zsh"}}}}
	ApplyConventions(own)
	if len(own.Install.Users) != 1 || own.Install.Users[0].Shell != "/bin/zsh" {
		t.Fatalf("a profile's own vagrant user was replaced: %+v", own.Install.Users)
	}
	for _, f := range []string{"QCOW2", "qcow2", "VirtualBox", "no such format"} {
		s := &spec.Spec{Output: spec.Output{Format: f}}
		ApplyConventions(s)
		if len(s.Install.Users) != 0 {
			t.Fatalf("%s got users %+v", f, s.Install.Users)
		}
	}
}

func TestApplyConventionsCloudInit(t *testing.T) {
	cases := map[string][]string{
		"Amazon AWS":             {"Ec2"},
		"Microsoft Azure":        {"Azure"},
		"OpenStack QCOW2":        {"ConfigDrive", "OpenStack"},
		"openstackvdi":           {"ConfigDrive", "OpenStack"},
		"CloudStack KVM (QCOW2)": {"CloudStack", "ConfigDrive"},
		"Google Compute Engine":  {"GCE"},
		"QCOW2":                  nil,
		"Docker":                 nil,
	}
	for format, want := range cases {
		s := &spec.Spec{Output: spec.Output{Format: format}}
		ApplyConventions(s)
		var got []string
		if s.Install.CloudInit != nil {
			got = s.Install.CloudInit.Datasources
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s: datasources %v, want %v", format, got, want)
		}
	}
	// A spec that configures cloud-init itself keeps its own choice.
	own := &spec.Spec{Output: spec.Output{Format: "Amazon AWS"}, Install: spec.Install{CloudInit: &spec.CloudInit{Datasources: []string{"NoCloud"}}}}
	ApplyConventions(own)
	if got := own.Install.CloudInit.Datasources; len(got) != 1 || got[0] != "NoCloud" {
		t.Fatalf("own datasources replaced: %v", got)
	}
}
