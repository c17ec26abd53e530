package generate

import (
	"context"
	"os"
	"strings"

	"github.com/kilnhq/kiln/internal/spec"
	"github.com/kilnhq/kiln/internal/target"
	"github.com/kilnhq/kiln/internal/target/live"
)

// liveOutput resolves ISO and PXE: a squashfs of the configured tree booted by
// live-boot, on a hybrid ISO or in a PXE bundle.
func liveOutput(f target.Format, s *spec.Spec) (output, error) {
	msg := "making the " + f.Name + " live image"
	write := func(ctx context.Context, tree, workDir, dst string, progress func(int, string)) error {
		progress(0, msg)
		in := live.Input{Root: tree, WorkDir: workDir, Label: s.Name, KernelParams: s.Install.KernelParameters,
			Progress: bytesProgress(progress, msg)}
		if f.Packaging == target.PackagingISO {
			return live.ISO(ctx, dst, in)
		}
		return toFileAt(dst, func(out *os.File) error { return live.PXE(ctx, out, in) })
	}
	return output{format: strings.ToLower(f.Format), extension: f.Extension, writeTree: write}, nil
}
