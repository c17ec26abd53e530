// Command imgfmt benchmarks Kiln's disk-format writers against qemu-img.
//
// It builds a sparse raw disk holding an ext4 filesystem populated from a
// directory (mkfs.ext4 -d), then times qemu-img convert and our converters on
// it, each in a child process so that its peak RSS (rusage maxrss) is its own.
// Finally it measures our converters' peak RSS on a 2 GiB and a 20 GiB sparse
// disk with the same data density, to show that memory does not grow with size.
//
//	go run ./bench/imgfmt -dir /tmp/imgfmt/bench
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/kilnhq/kiln/internal/imgfmt"
	"github.com/kilnhq/kiln/internal/imgfmt/qcow2"
	"github.com/kilnhq/kiln/internal/imgfmt/raw"
	"github.com/kilnhq/kiln/internal/imgfmt/vdi"
	"github.com/kilnhq/kiln/internal/imgfmt/vhd"
	"github.com/kilnhq/kiln/internal/imgfmt/vhdx"
	"github.com/kilnhq/kiln/internal/imgfmt/vmdk"
	"github.com/kilnhq/kiln/internal/run"
)

func main() {
	var (
		dir     = flag.String("dir", "/tmp/imgfmt/bench", "scratch directory")
		srcDir  = flag.String("src", "/usr/lib/x86_64-linux-gnu", "directory copied into the ext4 test disk")
		sizeGiB = flag.Int64("size", 4, "test disk size in GiB")
		skipRSS = flag.Bool("skip-rss", false, "skip the 2 GiB vs 20 GiB RSS runs")
		onlyRSS = flag.Bool("only-rss", false, "run only the 2 GiB vs 20 GiB RSS comparison")
		reps    = flag.Int("n", 3, "repetitions of each conversion (alternating qemu-img and ours); the fastest is reported")
		child   = flag.String("child", "", "internal: convert -in to -out with this converter (raw, qcow2, qcow2-c, vmdk, vmdk-stream, vhd-fixed, vhd-dynamic, vhdx, vdi) and exit")
		in      = flag.String("in", "", "internal: child input")
		out     = flag.String("out", "", "internal: child output")
	)
	flag.Parse()
	ctx := context.Background()
	if *child != "" {
		if err := convertChild(ctx, *child, *in, *out); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := bench(ctx, log, *dir, *srcDir, *sizeGiB<<30, *skipRSS, *onlyRSS, max(1, *reps)); err != nil {
		log.Error("benchmark failed", "err", err)
		os.Exit(1)
	}
}

// convertChild is the measured process: nothing but one conversion.
func convertChild(ctx context.Context, kind, in, out string) error {
	src, err := os.Open(in)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.Create(out)
	if err != nil {
		return err
	}
	defer dst.Close()
	var c imgfmt.Converter
	opts := imgfmt.Options{}
	switch kind {
	case "raw":
		c = raw.Converter{}
	case "qcow2":
		c = qcow2.Converter{}
	case "qcow2-c":
		c, opts.Compress = qcow2.Converter{}, true
	case "vmdk":
		c = vmdk.Converter{Subformat: vmdk.MonolithicSparse}
	case "vmdk-stream":
		c = vmdk.Converter{Subformat: vmdk.StreamOptimized}
	case "vhd-fixed":
		c = vhd.Converter{Subformat: vhd.Fixed, AlignMiB: true}
	case "vhd-dynamic":
		c = vhd.Converter{Subformat: vhd.Dynamic}
	case "vhdx":
		c = vhdx.Converter{}
	case "vdi":
		c = vdi.Converter{}
	default:
		return fmt.Errorf("unknown converter %q", kind)
	}
	if err := c.Convert(ctx, src, dst, opts); err != nil {
		return err
	}
	// No fsync: qemu-img convert's default cache mode for the target ("unsafe")
	// does not sync the data either (its fdatasync calls take ~1 ms here).
	return dst.Close()
}

type result struct {
	name    string
	wall    time.Duration
	maxRSS  int64 // bytes
	outSize int64
	outUsed int64 // allocated bytes
}

// measure runs one command as a child process and collects its figures.
func measure(ctx context.Context, name, out string, argv ...string) (result, error) {
	_ = os.Remove(out)
	// Write back the previous run's output first, so that its dirty pages do
	// not throttle this one.
	syscall.Sync()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Stderr = os.Stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return result{}, fmt.Errorf("%s: %w", name, err)
	}
	r := result{name: name, wall: time.Since(start)}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.maxRSS = ru.Maxrss << 10 // kilobytes on Linux
	}
	var st syscall.Stat_t
	if err := syscall.Stat(out, &st); err != nil {
		return result{}, fmt.Errorf("%s: stat output: %w", name, err)
	}
	r.outSize, r.outUsed = st.Size, st.Blocks*512
	return r, nil
}

func bench(ctx context.Context, log *slog.Logger, dir, srcDir string, size int64, skipRSS, onlyRSS bool, reps int) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	if onlyRSS {
		return rssBySize(ctx, dir, self)
	}
	disk := filepath.Join(dir, "ext4.raw")
	if _, err := os.Stat(disk); err != nil {
		log.Info("building test disk", "path", disk, "from", srcDir)
		if err := run.Run(ctx, run.Cmd{Name: "mkfs.ext4", Args: []string{"-q", "-F", "-d", srcDir, "-E", "root_owner=0:0", disk, fmt.Sprintf("%dk", size>>10)}}); err != nil {
			return fmt.Errorf("build test disk: %w", err)
		}
	}
	alloc, err := warm(disk)
	if err != nil {
		return err
	}
	fmt.Printf("test disk: %s, virtual %d MiB, allocated %d MiB (page cache warm), GOMAXPROCS-visible cores %d\n\n",
		disk, size>>20, alloc>>20, runtime.NumCPU())

	out := func(n string) string { return filepath.Join(dir, n) }
	runs := []struct {
		label, format, outQ, outO string
		qemu, ours                []string
	}{
		{"raw (sparse)", "raw", out("q.raw"), out("o.raw"), []string{"qemu-img", "convert", "-f", "raw", "-O", "raw", disk, out("q.raw")}, []string{self, "-child", "raw", "-in", disk, "-out", out("o.raw")}},
		{"qcow2", "qcow2", out("q.qcow2"), out("o.qcow2"), []string{"qemu-img", "convert", "-f", "raw", "-O", "qcow2", disk, out("q.qcow2")}, []string{self, "-child", "qcow2", "-in", disk, "-out", out("o.qcow2")}},
		{"qcow2 compressed", "qcow2", out("qc.qcow2"), out("oc.qcow2"), []string{"qemu-img", "convert", "-c", "-f", "raw", "-O", "qcow2", disk, out("qc.qcow2")}, []string{self, "-child", "qcow2-c", "-in", disk, "-out", out("oc.qcow2")}},
		{"qcow2 compressed (qemu -W -m 2)", "qcow2", out("qc2.qcow2"), "", []string{"qemu-img", "convert", "-c", "-W", "-m", "2", "-f", "raw", "-O", "qcow2", disk, out("qc2.qcow2")}, nil},
		{"vmdk monolithicSparse", "vmdk", out("q.vmdk"), out("o.vmdk"), []string{"qemu-img", "convert", "-f", "raw", "-O", "vmdk", "-o", "subformat=monolithicSparse", disk, out("q.vmdk")}, []string{self, "-child", "vmdk", "-in", disk, "-out", out("o.vmdk")}},
		{"vmdk streamOptimized", "vmdk", out("qs.vmdk"), out("os.vmdk"), []string{"qemu-img", "convert", "-f", "raw", "-O", "vmdk", "-o", "subformat=streamOptimized", disk, out("qs.vmdk")}, []string{self, "-child", "vmdk-stream", "-in", disk, "-out", out("os.vmdk")}},
		{"vhd fixed", "vpc", out("qf.vhd"), out("of.vhd"), []string{"qemu-img", "convert", "-f", "raw", "-O", "vpc", "-o", "subformat=fixed,force_size=on", disk, out("qf.vhd")}, []string{self, "-child", "vhd-fixed", "-in", disk, "-out", out("of.vhd")}},
		{"vhd dynamic", "vpc", out("qd.vhd"), out("od.vhd"), []string{"qemu-img", "convert", "-f", "raw", "-O", "vpc", "-o", "subformat=dynamic", disk, out("qd.vhd")}, []string{self, "-child", "vhd-dynamic", "-in", disk, "-out", out("od.vhd")}},
		{"vhdx", "vhdx", out("q.vhdx"), out("o.vhdx"), []string{"qemu-img", "convert", "-f", "raw", "-O", "vhdx", disk, out("q.vhdx")}, []string{self, "-child", "vhdx", "-in", disk, "-out", out("o.vhdx")}},
		{"vdi", "vdi", out("q.vdi"), out("o.vdi"), []string{"qemu-img", "convert", "-f", "raw", "-O", "vdi", disk, out("q.vdi")}, []string{self, "-child", "vdi", "-in", disk, "-out", out("o.vdi")}},
	}
	tw := tabwriter.NewWriter(os.Stdout, 2, 8, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(os.Stdout, "best of %d runs each, alternating; neither writer syncs its output\n", reps)
	fmt.Fprintln(tw, "format\twriter\twall s\tMiB/s (alloc)\toutput MiB\tpeak RSS MiB\tspeed vs qemu-img\t")
	for _, r := range runs {
		// The machine is shared: alternate the two writers and keep each one's
		// fastest run (peak RSS is the largest seen).
		var q, o result
		for i := range reps {
			qi, err := measure(ctx, "qemu-img", r.outQ, r.qemu...)
			if err != nil {
				return err
			}
			q = best(q, qi, i)
			_ = os.Remove(r.outQ)
			if r.ours == nil {
				continue
			}
			oi, err := measure(ctx, "kiln", r.outO, r.ours...)
			if err != nil {
				return err
			}
			// qemu-img is the oracle: our output must hold the source disk.
			if i == 0 {
				if err := run.Run(ctx, run.Cmd{Name: "qemu-img", Args: []string{"compare", "-q", "-f", "raw", "-F", r.format, disk, r.outO}}); err != nil {
					return fmt.Errorf("%s: output differs from the source: %w", r.label, err)
				}
			}
			o = best(o, oi, i)
			_ = os.Remove(r.outO)
		}
		row(tw, r.label, q, alloc, "")
		if r.ours != nil {
			row(tw, r.label, o, alloc, fmt.Sprintf("%.2f×", q.wall.Seconds()/o.wall.Seconds()))
		}
	}
	tw.Flush()
	if skipRSS {
		return nil
	}
	return rssBySize(ctx, dir, self)
}

// rssBySize measures our converters' peak RSS on a 2 GiB and a 20 GiB sparse
// disk with the same data density.
func rssBySize(ctx context.Context, dir, self string) error {
	out := func(n string) string { return filepath.Join(dir, n) }

	fmt.Printf("\npeak RSS vs disk size (1 MiB of data every 32 MiB):\n")
	tw := tabwriter.NewWriter(os.Stdout, 2, 8, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "disk\tconverter\tallocated MiB\twall s\tpeak RSS MiB\t")
	for _, gib := range []int64{2, 20} {
		path := filepath.Join(dir, fmt.Sprintf("sparse-%dG.raw", gib))
		if err := sparseDisk(path, gib<<30); err != nil {
			return err
		}
		a, err := warm(path)
		if err != nil {
			return err
		}
		for _, kind := range []string{"raw", "qcow2", "qcow2-c", "vmdk", "vmdk-stream", "vhd-fixed", "vhd-dynamic", "vhdx", "vdi"} {
			o, err := measure(ctx, kind, out("rss.out"), self, "-child", kind, "-in", path, "-out", out("rss.out"))
			if err != nil {
				return err
			}
			fmt.Fprintf(tw, "%d GiB\t%s\t%d\t%.2f\t%.1f\t\n", gib, kind, a>>20, o.wall.Seconds(), float64(o.maxRSS)/(1<<20))
		}
		_ = os.Remove(out("rss.out"))
		_ = os.Remove(path)
	}
	return tw.Flush()
}

// best keeps the fastest wall time and the largest peak RSS of the runs so far.
func best(acc, r result, i int) result {
	if i == 0 {
		return r
	}
	rss := max(acc.maxRSS, r.maxRSS)
	if r.wall < acc.wall {
		acc = r
	}
	acc.maxRSS = rss
	return acc
}

func row(w io.Writer, label string, r result, alloc int64, ratio string) {
	fmt.Fprintf(w, "%s\t%s\t%.2f\t%.0f\t%.0f (%.0f used)\t%.1f\t%s\t\n", label, r.name, r.wall.Seconds(),
		float64(alloc)/(1<<20)/r.wall.Seconds(), float64(r.outSize)/(1<<20), float64(r.outUsed)/(1<<20), float64(r.maxRSS)/(1<<20), ratio)
}

// warm reads the allocated extents once so that every run starts from the
// page cache, and returns their total size.
func warm(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	exts, err := imgfmt.Extents(f)
	if err != nil {
		return 0, err
	}
	buf := make([]byte, 4<<20)
	for _, e := range exts {
		if _, err := io.CopyBuffer(io.Discard, io.NewSectionReader(f, e.Offset, e.Length), buf); err != nil {
			return 0, fmt.Errorf("warm %s: %w", path, err)
		}
	}
	return imgfmt.TotalLength(exts), nil
}

// sparseDisk writes 1 MiB of compressible data every 32 MiB of a sparse file.
func sparseDisk(path string, size int64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		return err
	}
	blk := make([]byte, 1<<20)
	for off := int64(0); off < size; off += 32 << 20 {
		for i := range blk {
			blk[i] = byte(off>>20) ^ byte(i*7/3)
		}
		if _, err := f.WriteAt(blk, off); err != nil {
			return err
		}
	}
	return errors.Join(f.Close())
}
