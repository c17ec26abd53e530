// Command build benchmarks `kiln build` on a spec (default: the reference
// appliance) against the plain Debian tools doing the same work, in one run:
//
//	baseline  mmdebstrap (same variant and packages) to a directory,
//	          mkfs.ext4 -d into a raw file of the disk size, qemu-img convert -O qcow2
//	cold      kiln build with empty caches
//	warm      kiln build again, caches present
//
// It prints wall times, kiln's own peak RSS and the ratios to the baseline.
// Run as root on a machine with the mirror reachable:
//
//	go build -o bin/kiln ./cmd/kiln && go run ./bench/build -kiln bin/kiln
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/kilnhq/kiln/internal/distro"
	"github.com/kilnhq/kiln/internal/plan"
	"github.com/kilnhq/kiln/internal/spec"
)

func main() {
	kiln := flag.String("kiln", "bin/kiln", "kiln binary")
	specFile := flag.String("spec", "examples/reference.yaml", "build spec")
	work := flag.String("work", "", "scratch directory (default: a new temp dir, removed at the end)")
	flag.Parse()
	if err := run(context.Background(), *kiln, *specFile, *work); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, kiln, specFile, work string) error {
	data, err := os.ReadFile(specFile)
	if err != nil {
		return err
	}
	s, err := spec.Parse(data)
	if err != nil {
		return err
	}
	if work == "" {
		if work, err = os.MkdirTemp("", "kiln-bench-"); err != nil {
			return err
		}
		defer os.RemoveAll(work)
	}
	baseline, err := runBaseline(ctx, s, filepath.Join(work, "baseline"))
	if err != nil {
		return fmt.Errorf("baseline: %w", err)
	}
	kdata := filepath.Join(work, "kiln-data")
	cold, coldRSS, err := runKiln(ctx, kiln, specFile, kdata, filepath.Join(work, "out-cold"))
	if err != nil {
		return fmt.Errorf("kiln cold: %w", err)
	}
	warm, warmRSS, err := runKiln(ctx, kiln, specFile, kdata, filepath.Join(work, "out-warm"))
	if err != nil {
		return fmt.Errorf("kiln warm: %w", err)
	}
	fmt.Printf("\n%-34s %10s %10s %14s\n", "build of "+filepath.Base(specFile), "wall", "ratio", "kiln peak RSS")
	fmt.Printf("%-34s %10s %10s %14s\n", "baseline (mmdebstrap+mkfs+qemu-img)", round(baseline), "1.00×", "-")
	fmt.Printf("%-34s %10s %9.2f× %11d MiB\n", "kiln cold (empty caches)", round(cold), cold.Seconds()/baseline.Seconds(), coldRSS)
	fmt.Printf("%-34s %10s %9.2f× %11d MiB\n", "kiln warm (caches present)", round(warm), warm.Seconds()/baseline.Seconds(), warmRSS)
	fmt.Printf("targets: cold ≤ 1.00× baseline, warm ≤ 15 s, peak RSS ≤ 200 MiB\n")
	return nil
}

// runBaseline does kiln's work with the plain tools: same package set, same
// variant, same mirror, same disk size, no caches.
func runBaseline(ctx context.Context, s *spec.Spec, dir string) (time.Duration, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, err
	}
	mirrors, err := distro.LoadMirrors("/", nil, nil)
	if err != nil {
		return 0, err
	}
	srcs, err := mirrors.Sources(s.Distribution.Release)
	if err != nil {
		return 0, err
	}
	codename, _ := spec.Codename(s.Distribution.Release)
	pl, err := plan.New(s, plan.Options{})
	if err != nil {
		return 0, err
	}
	var names []string
	for _, p := range pl.Packages {
		names = append(names, p.Name)
	}
	variant := s.Distribution.Variant
	if variant == "" {
		variant = "important"
	}
	args := []string{"--mode=root", "--variant=" + variant, "--include=" + strings.Join(names, ","), codename, filepath.Join(dir, "root")}
	for _, src := range srcs {
		args = append(args, "deb "+src.URI+" "+src.Suite+" "+strings.Join(src.Components, " "))
	}
	raw, qcow := filepath.Join(dir, "disk.raw"), filepath.Join(dir, "disk.qcow2")
	start := time.Now()
	steps := [][]string{
		append([]string{"mmdebstrap", "--quiet"}, args...),
		{"mkfs.ext4", "-q", "-F", "-d", filepath.Join(dir, "root"), raw, fmt.Sprintf("%dM", s.Install.Disk.SizeMB)},
		{"qemu-img", "convert", "-f", "raw", "-O", "qcow2", raw, qcow},
	}
	for _, st := range steps {
		if err := command(ctx, st...); err != nil {
			return 0, err
		}
	}
	return time.Since(start), nil
}

var rssRe = regexp.MustCompile(`peak RSS (\d+) MiB`)

func runKiln(ctx context.Context, kiln, specFile, data, out string) (time.Duration, int64, error) {
	start := time.Now()
	var stdout bytes.Buffer
	cmd := exec.CommandContext(ctx, kiln, "build", "--spec", specFile, "--data", data, "--out", out)
	cmd.Stdout, cmd.Stderr = &stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return 0, 0, err
	}
	d := time.Since(start)
	var rss int64
	if m := rssRe.FindStringSubmatch(stdout.String()); m != nil {
		fmt.Sscan(m[1], &rss)
	}
	fmt.Print(stdout.String())
	return d, rss, nil
}

func command(ctx context.Context, argv ...string) error {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %v: %s", argv[0], err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

func round(d time.Duration) string { return d.Round(100 * time.Millisecond).String() }
