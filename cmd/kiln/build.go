package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/kilnhq/kiln/internal/distro"
	"github.com/kilnhq/kiln/internal/generate"
	"github.com/kilnhq/kiln/internal/plan"
	"github.com/kilnhq/kiln/internal/record"
	"github.com/kilnhq/kiln/internal/spec"
)

type buildOptions struct {
	nodeFlags // --data, --mirror, --cache-max-gb, --log-level, --config
	specFile  string
	format    string
	out       string
	compress  bool
	planOnly  bool
}

func newBuildCmd() *cobra.Command {
	o := buildOptions{nodeFlags: nodeFlags{logLevel: "warn"}}
	cmd := &cobra.Command{
		Use:   "build --spec FILE [--format qcow2] --out DIR",
		Short: "Build a machine image from a build spec, locally",
		Long: `Build a machine image from a build spec (YAML or JSON, see docs/spec.md):
bootstrap Debian with mmdebstrap (cached), configure it, lay out a GPT disk
that boots on BIOS and UEFI, and write it in the requested format.

The spec is first planned (internal/plan: the full package set, the
platform's conventions, the disk layout, how the artifact is encoded and
packaged); --plan-only prints that plan as JSON and builds nothing.

The artifact, a .sha256 file and a .manifest.json (size, checksum, installed
packages) are written to --out. Caches live under --data.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := loadSettings(cmd); err != nil {
				return err
			}
			return runBuild(cmd, o)
		},
	}
	f := cmd.Flags()
	o.register(f, "data", "mirror", "cache-max-gb", "log-level")
	f.StringVar(&o.specFile, "spec", "", "build spec file (YAML or JSON)")
	f.StringVar(&o.format, "format", "", "target format, overriding the spec's output.format (e.g. qcow2, raw, QCOW2)")
	f.StringVar(&o.out, "out", ".", "directory for the artifact")
	f.BoolVar(&o.compress, "compress", false, "compress the artifact (qcow2: compressed clusters; raw: gzip)")
	f.BoolVar(&o.planOnly, "plan-only", false, "print the plan (JSON) and build nothing")
	_ = cmd.MarkFlagRequired("spec")
	return cmd
}

func runBuild(cmd *cobra.Command, o buildOptions) error {
	log, err := newLogger(o.logLevel)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(o.specFile)
	if err != nil {
		return fmt.Errorf("read spec: %w", err)
	}
	s, err := spec.Parse(data)
	if err != nil {
		return err
	}
	if o.format != "" {
		s.Output.Format = o.format
	}
	if cmd.Flags().Changed("compress") {
		s.Output.Compress = o.compress
	}
	pl, err := plan.New(s, plan.Options{})
	if err != nil {
		return err
	}
	if o.planOnly {
		b, err := pl.Marshal()
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(cmd.OutOrStdout(), "%s\n", b)
		return err
	}
	var mirrors *distro.Mirrors
	if o.mirror != "" {
		mirrors, err = distro.NewMirrors(o.mirror, nil)
	} else {
		mirrors, err = distro.LoadMirrors("/", nil, log)
	}
	if err != nil {
		return err
	}
	eng, err := generate.New(generate.Config{
		CacheDir: filepath.Join(o.data, "cache"), CacheMaxBytes: o.cacheMaxGB << 30,
		WorkDir: filepath.Join(o.data, "tmp"), Mirrors: mirrors, Logger: log,
	})
	if err != nil {
		return err
	}
	start := time.Now()
	errOut := cmd.ErrOrStderr()
	last := ""
	res, err := eng.Run(cmd.Context(), pl, o.out, func(u generate.Update) {
		line := fmt.Sprintf("[%3d%%] %-9s %s", u.Percent, u.Stage, u.Message)
		if line != last {
			fmt.Fprintln(errOut, line)
			last = line
		}
	})
	if err != nil {
		if generate.IsCanceled(err) {
			return fmt.Errorf("build cancelled")
		}
		return err
	}
	if err := writeManifest(res); err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "%s\n  format %s, %d bytes, sha256 %s\n  %d packages, base cache %s, %s, peak RSS %d MiB\n",
		res.Path, res.Format, res.Size, res.SHA256, len(res.Packages), hitOrMiss(res.CacheHit),
		time.Since(start).Round(100*time.Millisecond), peakRSSMiB())
	return nil
}

// peakRSSMiB is this process's own peak resident set (not its children's).
func peakRSSMiB() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return -1
	}
	return ru.Maxrss / 1024 // KiB on Linux
}

func hitOrMiss(hit bool) string {
	if hit {
		return "hit"
	}
	return "miss"
}

// writeManifest records what the API will store with an image: size, checksum
// and installed packages, next to the artifact.
func writeManifest(res *generate.Result) error {
	m := struct {
		File     string                    `json:"file"`
		Format   string                    `json:"format"`
		Size     int64                     `json:"size"`
		SHA256   string                    `json:"sha256"`
		Packages []record.InstalledPackage `json:"packages"`
	}{File: filepath.Base(res.Path), Format: res.Format, Size: res.Size, SHA256: res.SHA256, Packages: res.Packages}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(res.Path+".manifest.json", append(b, '\n'), 0o644); err != nil {
		return err
	}
	return os.WriteFile(res.Path+".sha256", []byte(res.SHA256+"  "+filepath.Base(res.Path)+"\n"), 0o644)
}
