package plan

import (
	"github.com/kilnhq/kiln/internal/spec"
	"github.com/kilnhq/kiln/internal/target"
)

// VagrantInsecureKey is the well-known insecure public key every Vagrant
// base box authorizes; `vagrant up` replaces it with a fresh key pair.
const VagrantInsecureKey = "ssh-rsa AAAAB3NzaC1yc2EAAAABIwAAAQEA6NF8iallvQVp22WDkTkyrtvp9eWW6A8YVr+kz4TjGYe7gHzIw+niNltGEFHzD8+v1I2YJ6oXevct1YeS0o9HZyN1Q9qgCgzUFtdOKLv6IedplqoPkcmF0aYet2PkEDo3MlTBckFXPITAMzF8dJSIFo9D8HfdOV0IAdx4O7PtixWKn5y2hMNG0zQPyUecp4pzC6kivAIhyfHilFR61RGL+GPXQ2MWZWFYbAGjyiYJnAmCP3NOTd0jMZEnDkbUvxhMmBYSdETk1rRgm+R4LOzFUGaHqHDLKLX+FIPKcF96hrucXzcWyLbIbEgE98OHlnVYCzRdK8jlqm8tehUc9c9WhQ== vagrant insecure public key"

// vagrantPasswordHash is crypt(3) SHA-512 of "vagrant" with a fixed salt, so
// that plans stay byte-identical from one build to the next (openssl passwd
// -6 -salt kilnvagrant vagrant).
const vagrantPasswordHash = "$6$kilnvagrant$8fKZheAmUG74NGfaJpvK1.AJmpQGR6WImZNOujEc5MmS2wF3vsIdpMxL8LbKIXlytaqRZz0Zlat1pEajc36eP/"

// VagrantUser returns the account Vagrant expects in a base box: user
// vagrant, password vagrant, the insecure public key, passwordless sudo.
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

// applyConventions adds to the install profile what the format's platform
// expects inside the image: cloud-init with the platform's datasources for
// cloud formats (unless the spec configures it), the vagrant user for Vagrant
// boxes (unless the profile has one). Both belong to the configuration, not
// to the packaging, so the plan's spec says what went into the image.
func applyConventions(in *spec.Install, f target.Format) {
	if ds := f.CloudInitDatasources(); ds != nil && in.CloudInit == nil {
		in.CloudInit = &spec.CloudInit{Datasources: ds}
	}
	if f.Packaging != target.PackagingVagrantVirtualBox && f.Packaging != target.PackagingVagrantLibvirt {
		return
	}
	for _, u := range in.Users {
		if u.Name == "vagrant" {
			return
		}
	}
	in.Users = append(in.Users, VagrantUser())
}
