package container

import "fmt"

// platform is one architecture as each image format spells it.
type platform struct {
	ociArch    string // OCI/Go GOARCH name
	ociVariant string // OCI variant, where the OCI image spec defines one
	lxdArch    string // LXD/Incus architecture name (the kernel's uname -m)
}

// platformOf maps a Debian architecture name. Only architectures that
// Debian releases for containers and that both formats name are listed.
func platformOf(debian string) (platform, error) {
	switch debian {
	case "", "amd64":
		return platform{ociArch: "amd64", lxdArch: "x86_64"}, nil
	case "arm64":
		return platform{ociArch: "arm64", ociVariant: "v8", lxdArch: "aarch64"}, nil
	case "armhf":
		return platform{ociArch: "arm", ociVariant: "v7", lxdArch: "armv7l"}, nil
	case "i386":
		return platform{ociArch: "386", lxdArch: "i686"}, nil
	case "ppc64el":
		return platform{ociArch: "ppc64le", lxdArch: "ppc64le"}, nil
	case "s390x":
		return platform{ociArch: "s390x", lxdArch: "s390x"}, nil
	case "riscv64":
		return platform{ociArch: "riscv64", lxdArch: "riscv64"}, nil
	}
	return platform{}, fmt.Errorf("container image: unsupported architecture %q", debian)
}
