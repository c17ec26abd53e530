package generate

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kilnhq/kiln/internal/configure"
	"github.com/kilnhq/kiln/internal/disk"
	"github.com/kilnhq/kiln/internal/plan"
	"github.com/kilnhq/kiln/internal/rootfs"
	"github.com/kilnhq/kiln/internal/spec"
	"github.com/kilnhq/kiln/internal/target"
)

// Run executes p and leaves the artifact in outDir. It decides nothing: every
// choice was made by internal/plan. On error or cancellation no temporary file
// remains and outDir holds no partial artifact.
func (e *Engine) Run(ctx context.Context, p *plan.Plan, outDir string, progress Progress) (res *Result, err error) {
	if err := checkPlan(p); err != nil {
		return nil, err
	}
	s := &p.Spec
	req, err := e.rootfsRequest(p)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, fmt.Errorf("output directory: %w", err)
	}
	ws, err := e.workspace()
	if err != nil {
		return nil, err
	}
	defer func() {
		if rmErr := os.RemoveAll(ws); rmErr != nil {
			e.log.Warn("could not remove build workspace", "dir", ws, "err", rmErr)
		}
	}()
	rep := &reporter{fn: progress}
	res = &Result{Timings: map[Stage]time.Duration{}}
	timed := func(st Stage, f func() error) error {
		start := time.Now()
		err := f()
		res.Timings[st] = time.Since(start)
		if err != nil {
			return fmt.Errorf("%s: %w", st, err)
		}
		return nil
	}

	tree := filepath.Join(ws, "root")
	if err := timed(StageRootfs, func() error {
		r, err := e.rootfs.Prepare(ctx, req, tree, rep.stage(StageRootfs))
		if err != nil {
			return err
		}
		res.Packages, res.CacheHit = r.Packages, r.CacheHit
		return nil
	}); err != nil {
		return nil, err
	}

	if err := timed(StageConfigure, func() error {
		rep.stage(StageConfigure)(0, "configuring users, time zone, locale, network and SSH")
		return configure.Apply(ctx, tree, s.Install, configure.WithLogger(e.log), configure.WithKind(p.Kind))
	}); err != nil {
		return nil, err
	}

	if s.Overlay != nil {
		if err := timed(StageOverlay, func() error {
			rep.stage(StageOverlay)(0, "applying the scanned machine's files")
			applied, err := e.applyOverlay(ctx, s.Overlay, tree)
			if err != nil {
				return err
			}
			rep.stage(StageOverlay)(50, fmt.Sprintf("applied %d scanned files (%d kept from the build); comparing with the source", applied.Applied, applied.Skipped))
			res.Fidelity, err = e.compareWithSource(ctx, s, tree, res.Packages)
			return err
		}); err != nil {
			return nil, err
		}
	}

	a := &p.Artifact
	final := filepath.Join(outDir, a.FileName)
	partial := final + ".partial"
	defer func() {
		if err != nil {
			_ = os.Remove(partial)
		}
	}()
	if p.Disk == nil {
		// Containers and live media are made from the tree itself: no disk.
		if err := timed(StageConvert, func() error {
			write, err := treeWriterFor(a.Packaging)
			if err != nil {
				return err
			}
			msg := "packaging " + a.Format
			progress := rep.stage(StageConvert)
			progress(0, msg)
			return write(ctx, partial, treeInput{plan: p, tree: tree, workDir: ws, progress: bytesProgress(progress, msg)})
		}); err != nil {
			return nil, err
		}
		return finish(ctx, res, rep, partial, final, a.Kind, progress)
	}

	rawPath := filepath.Join(ws, "disk.raw")
	if err := timed(StageDisk, func() error {
		_, err := disk.Build(ctx, disk.Options{RootDir: tree, Layout: p.Disk, KernelParams: s.Install.KernelParameters,
			Output: rawPath, Progress: rep.stage(StageDisk), Logger: e.log})
		return err
	}); err != nil {
		return nil, err
	}
	// The tree is no longer needed: free its space before the conversion writes.
	_ = os.RemoveAll(tree)

	if err := timed(StageConvert, func() error {
		return writeFromDisk(ctx, a, rawPath, partial, rep.stage(StageConvert))
	}); err != nil {
		return nil, err
	}
	return finish(ctx, res, rep, partial, final, a.Kind, progress)
}

// checkPlan refuses a plan this engine cannot execute as it stands, before
// anything is bootstrapped.
func checkPlan(p *plan.Plan) error {
	a := &p.Artifact
	switch {
	case p.Version < 1 || p.Version > plan.Version:
		return fmt.Errorf("plan version %d is not one this Kiln executes (1–%d)", p.Version, plan.Version)
	case a.FileName == "" || filepath.Base(a.FileName) != a.FileName || strings.HasPrefix(a.FileName, "."):
		return fmt.Errorf("plan: artifact file name %q is not a plain file name", a.FileName)
	case (p.Disk == nil) != (a.Disk == target.DiskNone):
		return fmt.Errorf("plan: %s: a disk layout goes with a disk encoding, and only with one", a.Format)
	}
	return nil
}

// finish checksums the written artifact and moves it into place.
func finish(ctx context.Context, res *Result, rep *reporter, partial, final, format string, progress Progress) (*Result, error) {
	start := time.Now()
	if err := func() error {
		rep.stage(StageChecksum)(0, "computing the SHA-256 of "+filepath.Base(final))
		sum, size, err := fileSHA256(ctx, partial)
		res.SHA256, res.Size = sum, size
		return err
	}(); err != nil {
		return nil, fmt.Errorf("%s: %w", StageChecksum, err)
	}
	res.Timings[StageChecksum] = time.Since(start)
	if err := os.Rename(partial, final); err != nil {
		return nil, fmt.Errorf("store artifact: %w", err)
	}
	res.Path, res.Format = final, format
	rep.stage(StageChecksum)(100, "image ready: "+filepath.Base(final))
	if progress != nil {
		progress(Update{Stage: StageDone, Percent: 100, Message: "image ready"})
	}
	return res, nil
}

// rootfsRequest derives the bootstrap request from the plan and the mirrors.
func (e *Engine) rootfsRequest(p *plan.Plan) (rootfs.Request, error) {
	s := &p.Spec
	codename, ok := spec.Codename(s.Distribution.Release)
	if !ok {
		return rootfs.Request{}, fmt.Errorf("release %q is not supported", s.Distribution.Release)
	}
	srcs, err := e.cfg.Mirrors.Sources(s.Distribution.Release)
	if err != nil {
		return rootfs.Request{}, err
	}
	req := rootfs.Request{Distribution: s.Distribution.Name, Codename: codename, Arch: s.Distribution.Arch,
		Variant: s.Distribution.Variant, Packages: p.Packages}
	for _, src := range srcs {
		uri := src.URI
		if s.Distribution.Mirror != "" {
			uri = strings.TrimSuffix(s.Distribution.Mirror, "/")
		}
		req.Sources = append(req.Sources, rootfs.Source{URI: uri, Suite: src.Suite, Components: src.Components})
	}
	return req, nil
}

// IsCanceled reports whether err comes from a cancelled build.
func IsCanceled(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
