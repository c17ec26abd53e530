package pack

import (
	"github.com/kilnhq/kiln/internal/spec"
	"github.com/kilnhq/kiln/internal/target"
)

// VagrantInsecureKey is the well-known insecure public key every Vagrant
// base box authorizes; `vagrant up` replaces it with a fresh key pair.
const VagrantInsecureKey = "ssh-rsa AAAAB3NzaC1yc2EAAAABIwAAAQEA6NF8iallvQVp22WDkTkyrtvp9eWW6A8YVr+kz4TjGYe7gHzIw+niNltGEFHzD8+v1I2YJ6oXevct1YeS0o9HZyN1Q9qgCgzUFtdOKLv6IedplqoPkcmF0aYet2PkEDo3MlTBckFXPITAMzF8dJSIFo9D8HfdOV0IAdx4O7PtixWKn5y2hMNG0zQPyUecp4pzC6kivAIhyfHilFR61RGL+GPXQ2MWZWFYbAGjyiYJnAmCP3NOTd0jMZEnDkbUvxhMmBYSdETk1rRgm+R4LOzFUGaHqHDLKLX+FIPKcF96hrucXzcWyLbIbEgE98OHlnVYCzRdK8jlqm8tehUc9c9WhQ== vagrant insecure public key"

// vagrantPasswordHash is crypt(3) SHA-512 of "vagrant" with a fixed salt, so
// that specs stay byte-identical from one build to the next (openssl passwd
// -6 -salt kilnvagrant vagrant).
const vagrantPasswordHash = "$6$kilnvagrant$8fKZheAmUG74NGfaJpvK1.AJmpQGR6WImZNOujEc5MmS2wF3vsIdpMxL8LbKIXlytaqRZz0Zlat1pEajc36eP/"

// VagrantUser returns the account Vagrant expects in a base box: user
// vagrant, password vagrant, the insecure public key, passwordless sudo. It
// belongs to the install profile (configure stage), not to the packaging:
// the spec built for a Vagrant Base Box should get it in Install.Users unless
// a user named vagrant is already there.
func VagrantUser() spec.User {
	return spec.User{
		Name:         "vagrant",
		FullName:     "Vagrant",
		Shell:        "/bin/bash",
		PasswordHash: vagrantPasswordHash,
		SSHKeys:      []string{VagrantInsecureKey},
		Sudo:         true,
	}
}

// ApplyConventions adds to s what its target format's platform expects inside
// the image: for Vagrant boxes, the vagrant user (unless the profile already
// has one); for cloud formats, cloud-init with the platform's datasources
// (unless the spec already configures it). Every path that builds a spec (the
// API, `kiln build`) calls it, so an image is the same whichever way it was
// asked for, and the stored spec says what went into it.
func ApplyConventions(s *spec.Spec) {
	f, ok := target.Resolve(s.Output.Format)
	if !ok {
		return
	}
	if ds := f.CloudInitDatasources(); ds != nil && s.Install.CloudInit == nil {
		s.Install.CloudInit = &spec.CloudInit{Datasources: ds}
	}
	if f.Packaging != target.PackagingVagrantVirtualBox && f.Packaging != target.PackagingVagrantLibvirt {
		return
	}
	for _, u := range s.Install.Users {
		if u.Name == "vagrant" {
			return
		}
	}
	s.Install.Users = append(s.Install.Users, VagrantUser())
}
