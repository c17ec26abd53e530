// Package spec defines the build spec: one image generation as it is asked for.
// The API resolves an appliance (or a scan) plus an image request into a Spec;
// `kiln build --spec FILE` reads the same object from YAML or JSON. A Spec is
// planned (internal/plan) before anything runs: the plan, which embeds it, is
// what is stored with the image and executed.
package spec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Version is the schema version of Spec, written into every stored spec.
const Version = 1

// Spec is one generation: what to install, how to configure it, and what to produce.
type Spec struct {
	Version      int          `json:"version" yaml:"version"`
	Name         string       `json:"name,omitempty" yaml:"name,omitempty"`                 // appliance or scan name
	ImageVersion string       `json:"imageVersion,omitempty" yaml:"imageVersion,omitempty"` // appliance version
	Distribution Distribution `json:"distribution" yaml:"distribution"`
	Packages     []Package    `json:"packages,omitempty" yaml:"packages,omitempty"`
	Install      Install      `json:"install" yaml:"install"`
	// Overlay, for images generated from a scan, is the scanned machine's
	// overlay: the files no package provides unchanged, applied over the
	// packages after the install profile.
	Overlay *Overlay `json:"overlay,omitempty" yaml:"overlay,omitempty"`
	Output  Output   `json:"output" yaml:"output"`
}

// Overlay names a stored overlay archive (a tar checked on upload).
type Overlay struct {
	Key    string `json:"key" yaml:"key"` // artifact store key
	Size   int64  `json:"size" yaml:"size"`
	SHA256 string `json:"sha256" yaml:"sha256"`
}

// Distribution selects the OS to bootstrap.
type Distribution struct {
	Name    string `json:"name" yaml:"name"`                           // "debian"
	Release string `json:"release" yaml:"release"`                     // "11", "12", "13"
	Arch    string `json:"arch,omitempty" yaml:"arch,omitempty"`       // "amd64" (default)
	Mirror  string `json:"mirror,omitempty" yaml:"mirror,omitempty"`   // overrides the configured mirror
	Variant string `json:"variant,omitempty" yaml:"variant,omitempty"` // mmdebstrap variant; default "important"
}

// Package is one requested package. An empty Version means the mirror's version.
type Package struct {
	Name    string `json:"name" yaml:"name"`
	Version string `json:"version,omitempty" yaml:"version,omitempty"`
}

// UnmarshalYAML accepts a bare string ("openssh-server") as well as a mapping.
func (p *Package) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		p.Name = n.Value
		return nil
	}
	type plain Package
	return n.Decode((*plain)(p))
}

// UnmarshalJSON accepts a bare string as well as an object.
func (p *Package) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, &p.Name)
	}
	type plain Package
	return strictJSON(b, (*plain)(p))
}

// MarshalJSON writes an unversioned package as its bare name, the short form
// UnmarshalJSON accepts, so that stored plans and specs read as lists of names.
func (p Package) MarshalJSON() ([]byte, error) {
	if p.Version == "" {
		return json.Marshal(p.Name)
	}
	type plain Package
	return json.Marshal(plain(p))
}

// Install is the install profile: everything configured inside the image.
type Install struct {
	Hostname string `json:"hostname,omitempty" yaml:"hostname,omitempty"`
	// Root account. RootPasswordHash (crypt(3) format) wins over RootPassword, which is
	// hashed before the spec is stored. With neither, root is locked.
	RootPassword     string   `json:"rootPassword,omitempty" yaml:"rootPassword,omitempty"`
	RootPasswordHash string   `json:"rootPasswordHash,omitempty" yaml:"rootPasswordHash,omitempty"`
	RootSSHKeys      []string `json:"rootSshKeys,omitempty" yaml:"rootSshKeys,omitempty"`
	// DisableRootPasswordLogin forbids password logins for root over SSH.
	DisableRootPasswordLogin bool     `json:"disableRootPasswordLogin,omitempty" yaml:"disableRootPasswordLogin,omitempty"`
	Users                    []User   `json:"users,omitempty" yaml:"users,omitempty"`
	Groups                   []Group  `json:"groups,omitempty" yaml:"groups,omitempty"`
	Timezone                 string   `json:"timezone,omitempty" yaml:"timezone,omitempty"` // e.g. Europe/Paris; default Etc/UTC
	Keyboard                 string   `json:"keyboard,omitempty" yaml:"keyboard,omitempty"` // console keymap, e.g. "fr"; default "us"
	Locale                   string   `json:"locale,omitempty" yaml:"locale,omitempty"`     // e.g. en_US.UTF-8; default C.UTF-8
	KernelParameters         []string `json:"kernelParameters,omitempty" yaml:"kernelParameters,omitempty"`
	Disk                     Disk     `json:"disk" yaml:"disk"`
	// Network is "dhcp" (default: DHCP on the first NIC whatever its name) or "static".
	Network Network `json:"network,omitempty" yaml:"network,omitempty"`
	// CloudInit, when set, installs cloud-init and growpart configured for its
	// datasources: the image takes its identity (hostname, SSH keys, user data)
	// from the cloud at first boot and grows its root filesystem to the disk.
	// Cloud target formats set it (see target.Format.Datasources).
	CloudInit *CloudInit `json:"cloudInit,omitempty" yaml:"cloudInit,omitempty"`
}

// CloudInit configures the first-boot agent of cloud images.
type CloudInit struct {
	// Datasources is cloud-init's datasource_list, in order ("Ec2", "Azure",
	// "ConfigDrive", "OpenStack" …); None is always appended, so an instance
	// started without metadata still boots.
	Datasources []string `json:"datasources" yaml:"datasources"`
}

// User is an account created in the image.
type User struct {
	Name         string   `json:"name" yaml:"name"`
	FullName     string   `json:"fullName,omitempty" yaml:"fullName,omitempty"`
	UID          int      `json:"uid,omitempty" yaml:"uid,omitempty"` // 0 = allocate from 1000
	PrimaryGroup string   `json:"primaryGroup,omitempty" yaml:"primaryGroup,omitempty"`
	Groups       []string `json:"groups,omitempty" yaml:"groups,omitempty"` // secondary groups
	Home         string   `json:"home,omitempty" yaml:"home,omitempty"`     // default /home/NAME
	Shell        string   `json:"shell,omitempty" yaml:"shell,omitempty"`   // default /bin/bash
	Password     string   `json:"password,omitempty" yaml:"password,omitempty"`
	PasswordHash string   `json:"passwordHash,omitempty" yaml:"passwordHash,omitempty"`
	SSHKeys      []string `json:"sshKeys,omitempty" yaml:"sshKeys,omitempty"`
	Sudo         bool     `json:"sudo,omitempty" yaml:"sudo,omitempty"` // passwordless sudo
	System       bool     `json:"system,omitempty" yaml:"system,omitempty"`
	// IfMissing recreates an account of a scanned machine: created with its
	// exact uid only when the packages did not create it (a package's own
	// account wins); no home is made, the scan's overlay carries it.
	IfMissing bool `json:"ifMissing,omitempty" yaml:"ifMissing,omitempty"`
}

// Group is a group created in the image.
type Group struct {
	Name   string `json:"name" yaml:"name"`
	GID    int    `json:"gid,omitempty" yaml:"gid,omitempty"` // 0 = allocate from 1000
	System bool   `json:"system,omitempty" yaml:"system,omitempty"`
	// IfMissing: created with its exact gid only when the packages did not
	// create it (see User.IfMissing).
	IfMissing bool `json:"ifMissing,omitempty" yaml:"ifMissing,omitempty"`
}

// Disk is the disk layout. Sizes are MiB, as on the UForge wire.
type Disk struct {
	SizeMB int64 `json:"sizeMB" yaml:"sizeMB"`
	SwapMB int64 `json:"swapMB,omitempty" yaml:"swapMB,omitempty"`
	// Partitions beyond the root filesystem (the plain-partition part of hammr's
	// partitioning model). Empty means: BIOS boot + ESP + root (+ swap).
	Partitions []Partition `json:"partitions,omitempty" yaml:"partitions,omitempty"`
}

// Partition is one extra filesystem. A partition with MountPoint "/" sizes the root.
type Partition struct {
	MountPoint string `json:"mountPoint" yaml:"mountPoint"`
	FSType     string `json:"fsType,omitempty" yaml:"fsType,omitempty"` // ext4 (default), ext3, ext2, xfs, linux-swap
	SizeMB     int64  `json:"sizeMB,omitempty" yaml:"sizeMB,omitempty"`
	Grow       bool   `json:"grow,omitempty" yaml:"grow,omitempty"` // takes the remaining space
	Label      string `json:"label,omitempty" yaml:"label,omitempty"`
}

// Network describes the first NIC's configuration.
type Network struct {
	Mode    string   `json:"mode,omitempty" yaml:"mode,omitempty"`       // dhcp | static
	Address string   `json:"address,omitempty" yaml:"address,omitempty"` // CIDR, static only
	Gateway string   `json:"gateway,omitempty" yaml:"gateway,omitempty"`
	DNS     []string `json:"dns,omitempty" yaml:"dns,omitempty"`
}

// Output is the image request: what artifact to produce.
type Output struct {
	// Format is the UForge target format name ("QCOW2", "Raw Virtual Disk") or a
	// primitive format name ("qcow2", "raw").
	Format     string `json:"format" yaml:"format"`
	Compress   bool   `json:"compress,omitempty" yaml:"compress,omitempty"`
	MemoryMB   int64  `json:"memoryMB,omitempty" yaml:"memoryMB,omitempty"`
	HWType     string `json:"hwType,omitempty" yaml:"hwType,omitempty"`
	Entrypoint string `json:"entrypoint,omitempty" yaml:"entrypoint,omitempty"` // containers
}

// Parse reads a spec from YAML or JSON (JSON is YAML) and validates it. Unknown
// fields are errors: a typo must not silently produce a different image.
func Parse(data []byte) (*Spec, error) {
	var s Spec
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && trimmed[0] == '{' {
		if err := strictJSON(trimmed, &s); err != nil {
			return nil, fmt.Errorf("spec: %w", err)
		}
	} else {
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(&s); err != nil {
			return nil, fmt.Errorf("spec: %w", err)
		}
	}
	s.Defaults()
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return &s, nil
}

// Marshal encodes the spec as indented JSON (the stored form).
func (s *Spec) Marshal() ([]byte, error) {
	return json.MarshalIndent(s, "", "  ")
}

// Defaults fills in the values an omitted field means.
func (s *Spec) Defaults() {
	if s.Version == 0 {
		s.Version = Version
	}
	if s.Distribution.Name == "" {
		s.Distribution.Name = "debian"
	}
	s.Distribution.Name = strings.ToLower(s.Distribution.Name)
	if s.Distribution.Arch == "" || s.Distribution.Arch == "x86_64" {
		s.Distribution.Arch = "amd64"
	}
	if s.Install.Timezone == "" {
		s.Install.Timezone = "Etc/UTC"
	}
	if s.Install.Keyboard == "" {
		s.Install.Keyboard = "us"
	}
	if s.Install.Locale == "" {
		s.Install.Locale = "C.UTF-8"
	}
	if s.Install.Hostname == "" {
		s.Install.Hostname = "localhost"
	}
	if s.Install.Network.Mode == "" {
		s.Install.Network.Mode = "dhcp"
	}
	if s.Install.Disk.SizeMB == 0 {
		s.Install.Disk.SizeMB = 2048
	}
}

func strictJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}
