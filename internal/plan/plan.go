// Package plan is the one place where the decisions about an image are made.
// New turns a resolved build spec (an appliance or a scan, merged with the
// image request) and its target format's row into a Plan: the complete package
// set, the configuration with the platform's conventions applied, what the tree
// becomes (machine or container), the disk layout with its identifiers, and how
// the artifact is encoded, packaged and compressed. The plan is stored with the
// image; internal/generate executes it and decides nothing, and regenerating
// with ?reproduce=true executes the same plan again.
package plan

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/kilnhq/kiln/internal/configure"
	"github.com/kilnhq/kiln/internal/disk"
	"github.com/kilnhq/kiln/internal/spec"
	"github.com/kilnhq/kiln/internal/target"
)

// Version is the schema version written into every plan. Bump it when a field
// changes meaning; Decode refuses plans from a newer Kiln.
const Version = 1

// Plan is everything one generation does.
type Plan struct {
	Version int `json:"planVersion"`
	// Spec is the request as resolved, with the target platform's conventions
	// applied to its install profile (the vagrant user of a Vagrant box,
	// cloud-init for cloud formats). Spec.Packages are the packages that were
	// asked for; Packages below is what gets installed.
	Spec spec.Spec `json:"spec"`
	// Packages is the complete set handed to the bootstrap, sorted by name:
	// the requested packages plus what booting, the platform's agents, a live
	// medium and the install profile need.
	Packages []spec.Package `json:"packages"`
	// Kind is what the tree becomes, which decides the configure steps.
	Kind configure.Kind `json:"kind"`
	// Disk is the partition layout with its identifiers; nil for formats that
	// carry no disk (containers, live media).
	Disk     *disk.Layout `json:"disk,omitempty"`
	Artifact Artifact     `json:"artifact"`
}

// Artifact is how the delivered file is written.
type Artifact struct {
	FormatID int64  `json:"formatId"` // the target format's stable ID
	Format   string `json:"format"`   // its name ("QCOW2", "Vagrant Base Box")
	// Kind names what the file is, as a primitive format: the disk encoding
	// qemu-img knows ("qcow2", "vpc", "vmdk") or the packaging ("vbox", "docker").
	Kind string `json:"kind"`
	// FileName is name-version plus Extension, the file the engine writes.
	FileName  string `json:"fileName"`
	Extension string `json:"extension"` // ".qcow2", ".raw.gz", ".tar.gz" …
	// Disk is the encoding the raw disk is converted to ("raw": kept as is;
	// "none": the artifact is made from the tree, without a disk).
	Disk target.Disk `json:"disk"`
	// Packaging wraps the disk or the tree ("none": the disk file itself).
	Packaging target.Packaging `json:"packaging"`
	// Compress asks the writer for its own compression: qcow2's compressed
	// clusters, a Docker layer's gzip, an LXC tarball's gzip.
	Compress bool `json:"compress,omitempty"`
	// Gzip compresses the whole artifact after it is written.
	Gzip bool `json:"gzip,omitempty"`
	// Machine is what a packaging declares about the virtual machine.
	Machine *Machine `json:"machine,omitempty"`
	// Entrypoint is an application container's command, exec form.
	Entrypoint []string `json:"entrypoint,omitempty"`
	// Label names a live medium (volume id, boot menu).
	Label string `json:"label,omitempty"`
}

// Machine is the virtual hardware a packaging declares (OVF, VMX, Vagrant, KVM).
type Machine struct {
	Name     string `json:"name"`
	MemoryMB int64  `json:"memoryMB,omitempty"` // 0: the packaging's default
	HWType   int    `json:"hwType"`             // VMware hardware version
	DiskSize int64  `json:"diskSize"`           // virtual size of the disk, bytes
	Firmware string `json:"firmware"`           // "bios" or "efi"
}

// Marshal encodes the plan as indented JSON: the stored form.
func (p *Plan) Marshal() ([]byte, error) { return json.MarshalIndent(p, "", "  ") }

// Decode reads a stored plan. Images stored before plans existed hold a bare
// build spec; such a spec is planned now, so that a generation queued by an
// older Kiln still runs.
func Decode(b []byte) (*Plan, error) {
	var probe struct {
		Version *int `json:"planVersion"`
	}
	if err := json.Unmarshal(b, &probe); err != nil {
		return nil, fmt.Errorf("stored plan: %w", err)
	}
	if probe.Version == nil {
		s, err := spec.Parse(b)
		if err != nil {
			return nil, fmt.Errorf("stored spec: %w", err)
		}
		return New(s, Options{})
	}
	if *probe.Version > Version {
		return nil, fmt.Errorf("stored plan: version %d is newer than this Kiln's (%d)", *probe.Version, Version)
	}
	var p Plan
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("stored plan: %w", err)
	}
	return &p, nil
}
