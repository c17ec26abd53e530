package pack

import (
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
