package generate

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/kilnhq/kiln/internal/imgfmt"
	"github.com/kilnhq/kiln/internal/imgfmt/qcow2"
	"github.com/kilnhq/kiln/internal/imgfmt/raw"
	"github.com/kilnhq/kiln/internal/imgfmt/vdi"
	"github.com/kilnhq/kiln/internal/imgfmt/vhd"
	"github.com/kilnhq/kiln/internal/imgfmt/vhdx"
	"github.com/kilnhq/kiln/internal/imgfmt/vmdk"
	"github.com/kilnhq/kiln/internal/plan"
	"github.com/kilnhq/kiln/internal/target"
	"github.com/kilnhq/kiln/internal/target/container"
	"github.com/kilnhq/kiln/internal/target/live"
	"github.com/kilnhq/kiln/internal/target/pack"
)

// The registry: which code writes each disk encoding, packaging and tree
// format a plan may name. It decides nothing about a format (the plan did);
// a new format needs an entry here only when its encoding or packaging is new.
// TestEveryActiveFormatHasWriters keeps it complete.

// encoder returns the streaming writer of a disk encoding.
func encoder(d target.Disk) (imgfmt.Converter, error) {
	switch d {
	case target.DiskRaw:
		return raw.Converter{}, nil
	case target.DiskQCOW2:
		return qcow2.Converter{}, nil
	case target.DiskVMDKStream:
		return vmdk.Converter{Subformat: vmdk.StreamOptimized}, nil
	case target.DiskVMDKSparse:
		return vmdk.Converter{Subformat: vmdk.MonolithicSparse}, nil
	case target.DiskVHDFixed:
		return vhd.Converter{Subformat: vhd.Fixed, AlignMiB: true}, nil
	case target.DiskVHDDynamic:
		return vhd.Converter{Subformat: vhd.Dynamic}, nil
	case target.DiskVHDX:
		return vhdx.Converter{}, nil
	case target.DiskVDI:
		return vdi.Converter{}, nil
	}
	return nil, fmt.Errorf("no writer for disk encoding %q", d)
}

// packager wraps a converted disk into the delivered file.
type packager func(ctx context.Context, dst *os.File, in pack.Input) error

// packagerFor returns the packager of a packaging that wraps a disk.
func packagerFor(p target.Packaging) (packager, error) {
	switch p {
	case target.PackagingOVA:
		return pack.OVA, nil
	case target.PackagingVMX:
		return toFile(pack.VMX), nil
	case target.PackagingKVMScript:
		return toFile(pack.KVM), nil
	case target.PackagingVagrantVirtualBox:
		return toFile(pack.VagrantVirtualBox), nil
	case target.PackagingVagrantLibvirt:
		return toFile(pack.VagrantLibvirt), nil
	case target.PackagingGCETar:
		return toFile(pack.GCE), nil
	}
	return nil, fmt.Errorf("no packager for %q", p)
}

// treeInput is what a format made from the configured tree is given.
type treeInput struct {
	plan     *plan.Plan
	tree     string // the configured root
	workDir  string // scratch space on the same filesystem
	progress func(done, total int64)
}

// treeWriter writes an artifact straight from the configured tree.
type treeWriter func(ctx context.Context, dst string, in treeInput) error

// treeWriterFor returns the writer of a packaging that carries no disk.
func treeWriterFor(p target.Packaging) (treeWriter, error) {
	switch p {
	case target.PackagingDocker:
		return containerWriter(container.Docker), nil
	case target.PackagingLXC:
		return containerWriter(container.LXC), nil
	case target.PackagingISO:
		return func(ctx context.Context, dst string, in treeInput) error {
			return live.ISO(ctx, dst, liveInput(in))
		}, nil
	case target.PackagingPXE:
		return func(ctx context.Context, dst string, in treeInput) error {
			return toFileAt(dst, func(out *os.File) error { return live.PXE(ctx, out, liveInput(in)) })
		}, nil
	}
	return nil, fmt.Errorf("no tree writer for %q", p)
}

func containerWriter(write func(context.Context, io.Writer, container.Input) error) treeWriter {
	return func(ctx context.Context, dst string, in treeInput) error {
		s, a := &in.plan.Spec, &in.plan.Artifact
		ci := container.Input{Root: in.tree, WorkDir: in.workDir, Name: s.Name, Version: s.ImageVersion,
			Entrypoint: a.Entrypoint, Arch: s.Distribution.Arch, Compress: a.Compress, Progress: in.progress}
		return toFileAt(dst, func(out *os.File) error { return write(ctx, out, ci) })
	}
}

func liveInput(in treeInput) live.Input {
	return live.Input{Root: in.tree, WorkDir: in.workDir, Label: in.plan.Artifact.Label,
		KernelParams: in.plan.Spec.Install.KernelParameters, Progress: in.progress}
}

func toFile(f func(context.Context, io.Writer, pack.Input) error) packager {
	return func(ctx context.Context, dst *os.File, in pack.Input) error { return f(ctx, dst, in) }
}

// toFileAt creates dst, lets write fill it, and closes it, keeping the first error.
func toFileAt(dst string, write func(*os.File) error) error {
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	err = write(out)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}

// bytesProgress turns a byte count into the stage percentage.
func bytesProgress(progress func(int, string), msg string) func(done, total int64) {
	return func(done, total int64) {
		if total > 0 {
			progress(int(done*100/total), msg)
		}
	}
}
