package plan

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/kilnhq/kiln/internal/spec"
	"github.com/kilnhq/kiln/internal/target"
)

// conventions applies the conventions of the format s names; unknown names get none.
func conventions(s *spec.Spec) {
	if f, ok := target.Resolve(s.Output.Format); ok {
		applyConventions(&s.Install, f)
	}
}

func TestApplyConventions(t *testing.T) {
	box := &spec.Spec{Output: spec.Output{Format: "Vagrant Base Box"}}
	conventions(box)
	conventions(box) // idempotent: a stored spec may pass through again
	if len(box.Install.Users) != 1 || box.Install.Users[0].Name != "vagrant" || !box.Install.Users[0].Sudo {
		t.Fatalf("vagrant box users = %+v", box.Install.Users)
	}
	own := &spec.Spec{Output: spec.Output{Format: "vagrant"}, Install: spec.Install{Users: []spec.User{{Name: "vagrant", Shell: "/bin/zsh"}}}}
	conventions(own)
	if len(own.Install.Users) != 1 || own.Install.Users[0].Shell != "/bin/zsh" {
		t.Fatalf("a profile's own vagrant user was replaced: %+v", own.Install.Users)
	}
	for _, f := range []string{"QCOW2", "qcow2", "VirtualBox", "no such format"} {
		s := &spec.Spec{Output: spec.Output{Format: f}}
		conventions(s)
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
		conventions(s)
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
	conventions(own)
	if got := own.Install.CloudInit.Datasources; len(got) != 1 || got[0] != "NoCloud" {
		t.Fatalf("own datasources replaced: %v", got)
	}
}

func TestVagrantUser(t *testing.T) {
	u := VagrantUser()
	if u.Name != "vagrant" || !u.Sudo || len(u.SSHKeys) != 1 || !strings.HasPrefix(u.SSHKeys[0], "ssh-rsa AAAAB3NzaC1yc2EAAAABIwAAAQEA6NF8iallvQVp22WDkTkyrtvp9eWW6A8YVr") {
		t.Errorf("%+v", u)
	}
	// The hash must be crypt("vagrant"): recompute it with its own salt.
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl not installed")
	}
	parts := strings.Split(u.PasswordHash, "$")
	if len(parts) != 4 || parts[1] != "6" {
		t.Fatalf("hash %q is not SHA-512 crypt", u.PasswordHash)
	}
	out, err := exec.Command("openssl", "passwd", "-6", "-salt", parts[2], "vagrant").Output()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(out)); got != u.PasswordHash {
		t.Errorf("hash %q is not crypt(vagrant) = %q", u.PasswordHash, got)
	}
}
