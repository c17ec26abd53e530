package generate

import (
	"context"
	"fmt"
	"os"

	"github.com/kilnhq/kiln/internal/configure"
	"github.com/kilnhq/kiln/internal/spec"
	"github.com/kilnhq/kiln/internal/target"
	"github.com/kilnhq/kiln/internal/target/container"
)

// containerOutput resolves Docker (and OpenShift) and LXC: archives of the
// configured tree, without kernel or disk.
func containerOutput(f target.Format, s *spec.Spec) (output, error) {
	ep, err := container.ParseEntrypoint(s.Output.Entrypoint)
	if err != nil {
		return output{}, fmt.Errorf("output.entrypoint: %w", err)
	}
	pack, kind, ext := container.Docker, configure.AppContainer, f.Extension
	if f.Packaging == target.PackagingLXC {
		pack, kind = container.LXC, configure.SystemContainer
		if s.Output.Compress {
			ext += ".gz" // the whole tarball is gzipped; Docker gzips its layer inside
		}
	}
	msg := "packaging " + f.Name
	write := func(ctx context.Context, tree, workDir, dst string, progress func(int, string)) error {
		progress(0, msg)
		in := container.Input{Root: tree, WorkDir: workDir, Name: s.Name, Version: s.ImageVersion, Entrypoint: ep,
			Arch: s.Distribution.Arch, Compress: s.Output.Compress, Progress: bytesProgress(progress, msg)}
		return toFileAt(dst, func(out *os.File) error { return pack(ctx, out, in) })
	}
	return output{format: f.Format, extension: ext, kind: kind, writeTree: write}, nil
}

// bytesProgress turns a byte count into the stage percentage.
func bytesProgress(progress func(int, string), msg string) func(done, total int64) {
	return func(done, total int64) {
		if total > 0 {
			progress(int(done*100/total), msg)
		}
	}
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
