// Command scan benchmarks the scan agent on loopback: `kiln scan -o` of a
// Debian root against `tar | curl` of the same files to the same server, in
// one run:
//
//	baseline  tar -C ROOT -cf - --no-recursion --null -T LIST | curl -T - -X POST …/overlay
//	          (the whole overlay as one streamed body, checked and stored by the
//	          server exactly like the agent's chunks; the scanned instance and
//	          scan are created beforehand, untimed, from the same inventory)
//	kiln      kiln scan --root ROOT -o …: preflight, inventory, report, the walk
//	          of the whole tree (package files changed since their install
//	          compared with dpkg's md5sums)
//	          and the chunked overlay upload, timed as a whole
//
// LIST is the member list of the overlay kiln sent (downloaded from a warm-up
// scan), so both sides carry the same files. The tree is, by default, a fresh
// install of the largest bootstrapped base of the e2e cache: mmdebstrap with
// that base's recipe (its meta.json), the cache's .debs copied in (-source
// bootstrap, see bootstrapTree for why not a copy); or a copy (cp -a
// --reflink=auto) of the base or of -root (-source copy: every file then has
// the copy's ctime, as on a system restored from a backup, and the agent
// verifies every package file by reading it). Either way -files synthetic
// files of -size bytes in all are added under /opt/bench. With -work DIR the
// prepared tree is kept there and reused by the next run with the same
// settings.
// The server takes a single-body upload of at most 256 MiB, which bounds the
// overlay (the default load gives about 220 MiB). Peak RSS: see rss.go.
// Both sides run -runs times, alternating, baseline first; it prints the
// medians of files/s, MiB/s and peak RSS and the ratio kiln/baseline against
// the targets (≥ 0.8× the baseline's throughput, agent peak RSS ≤ 100 MiB).
// -cpuprofile, -memprofile and -trace profile one more scan afterwards
// (profile.go); -runs 0 measures nothing else.
// Run as root (the copy keeps owners and device nodes):
//
//	go run ./bench/scan -kiln bin/kiln
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/kilnhq/kiln/internal/scan"
	"github.com/kilnhq/kiln/internal/service"
	"github.com/kilnhq/kiln/internal/uforge"
)

type config struct {
	kiln, root, cache, work string
	source                  string
	files                   int
	size                    int64
	runs                    int
	cpuprofile, trace       string
	memprofile              string
}

func main() {
	var c config
	flag.StringVar(&c.kiln, "kiln", "bin/kiln", "kiln binary (built with CGO_ENABLED=0 go build when missing)")
	flag.StringVar(&c.root, "root", "", "Debian tree to scan, copied first (default: the largest base under -cache)")
	flag.StringVar(&c.source, "source", "", "how the scanned tree is made: bootstrap (mmdebstrap, as Kiln built the base; the default) or copy (cp -a of the tree; the default with -root)")
	flag.StringVar(&c.cache, "cache", "/tmp/kiln-e2e-cache", "rootfs cache to take the default tree from")
	flag.IntVar(&c.files, "files", 20000, "synthetic files added under /opt/bench of the copy (0: none)")
	size := flag.String("size", "128M", "total size of the synthetic files (K, M, G: binary units)")
	flag.IntVar(&c.runs, "runs", 3, "measured runs of each side (the median is reported)")
	flag.StringVar(&c.work, "work", "", "scratch directory (default: a new temp dir, removed at the end)")
	flag.StringVar(&c.cpuprofile, "cpuprofile", "", "after the measured runs, profile one more scan (in-process upload.Run) into this file")
	flag.StringVar(&c.memprofile, "memprofile", "", "after the measured runs, profile the allocations of one more scan (in-process upload.Run) into this file")
	flag.StringVar(&c.trace, "trace", "", "after the measured runs, trace one more scan (in-process upload.Run) into this file")
	flag.Parse()
	var err error
	if c.size, err = parseSize(*size); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err = run(ctx, c)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

const password = "bench-scan-password"

// result is one measured run of either side.
type result struct {
	wall   time.Duration
	files  int64   // overlay files (server's totalFilesAdded)
	bytes  int64   // overlay tar bytes (server's uncompressedBinarySize)
	rssMiB float64 // peak RSS: the agent, or tar + curl
	// cpu is the user+system time of the agent, or of tar + curl: what the
	// side cost the machine, which a loaded machine's scheduler does not
	// change as much as the wall time (the server's share is not in it).
	cpu    time.Duration
	detail string
}

func (r result) filesPerSec() float64 { return float64(r.files) / r.wall.Seconds() }
func (r result) mibPerSec() float64   { return float64(r.bytes) / (1 << 20) / r.wall.Seconds() }

func run(ctx context.Context, c config) error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("run as root: the scanned tree is a copy that keeps owners and device nodes")
	}
	if err := ensureKiln(c.kiln); err != nil {
		return err
	}
	kiln, err := filepath.Abs(c.kiln)
	if err != nil {
		return err
	}
	src := c.root
	if src == "" {
		if src, err = pickBase(c.cache); err != nil {
			return err
		}
	} else if abs, err := filepath.Abs(src); err != nil || abs == "/" {
		return fmt.Errorf("-root %q: give an offline Debian tree (it is copied)", src)
	}
	switch {
	case c.source == "" && c.root == "":
		c.source = "bootstrap"
	case c.source == "":
		c.source = "copy"
	case c.source != "bootstrap" && c.source != "copy":
		return fmt.Errorf("-source %q: bootstrap or copy", c.source)
	}
	keep := c.work != ""
	if c.work == "" {
		if c.work, err = os.MkdirTemp("", "kiln-scan-bench-"); err != nil {
			return err
		}
		defer removeWork(c.work)
	} else if err := os.MkdirAll(c.work, 0o755); err != nil {
		return err
	}

	// With -work, a tree prepared by an earlier run with the same settings is
	// scanned again (a bootstrap takes minutes); ready records those settings.
	root := filepath.Join(c.work, "root")
	ready := filepath.Join(c.work, "root.ready")
	want := fmt.Sprintf("source=%s src=%s files=%d size=%d\n", c.source, src, c.files, c.size)
	if have, err := os.ReadFile(ready); keep && err == nil && string(have) == want {
		fmt.Printf("reusing %s (%s of %s)\n", root, c.source, src)
	} else {
		// root.bootstrapped: the bootstrap of src is complete (the synthetic
		// files, rewritten whole, may not be).
		staged := filepath.Join(c.work, "root.bootstrapped")
		if have, err := os.ReadFile(staged); keep && c.source == "bootstrap" && err == nil && string(have) == src {
			fmt.Printf("reusing the bootstrap of %s at %s\n", src, root)
		} else {
			if _, err := os.Lstat(root); err == nil {
				return fmt.Errorf("%s exists but was not prepared with these settings: remove it (or give another -work)", root)
			}
			if c.source == "bootstrap" {
				fmt.Printf("bootstrapping %s as %s was (mmdebstrap: a few minutes)\n", root, src)
				if err = bootstrapTree(ctx, c.cache, src, root); err == nil {
					err = os.WriteFile(staged, []byte(src), 0o644)
				}
			} else {
				fmt.Printf("copying %s to %s\n", src, root)
				err = copyTree(src, root)
			}
			if err != nil {
				return err
			}
		}
		if _, err := addSynthetic(root, c.files, c.size); err != nil {
			return fmt.Errorf("synthetic files: %w", err)
		}
		if err := os.WriteFile(ready, []byte(want), 0o644); err != nil {
			return err
		}
	}
	synth, err := syntheticBytes(root)
	if err != nil {
		return err
	}
	entries, treeBytes, err := treeStats(root)
	if err != nil {
		return err
	}
	fmt.Printf("tree: %d entries, %.0f MiB (%d synthetic files, %.0f MiB, under /opt/bench)\n",
		entries, mib(treeBytes), c.files, mib(synth))

	srv, err := startServer(ctx, kiln, filepath.Join(c.work, "data"), password)
	if err != nil {
		return err
	}
	defer srv.stop()
	fmt.Printf("kiln serve at %s\n", srv.url)

	// Warm-up: a kiln scan whose overlay gives the baseline its file list (and
	// leaves the page cache in the same state for every measured run).
	warm, siid, sid, err := kilnScan(ctx, kiln, root, srv, "bench-warmup")
	if err != nil {
		return fmt.Errorf("warm-up scan: %w", err)
	}
	list := filepath.Join(c.work, "overlay.list")
	members, err := srv.overlayList(ctx, siid, sid, list)
	if err != nil {
		return err
	}
	if err := srv.deleteInstance(ctx, siid); err != nil {
		return err
	}
	fmt.Printf("overlay: %d members, %d files, %.1f MiB (warm-up kiln scan: %v)\n", members, warm.files, mib(warm.bytes), round(warm.wall))
	if warm.bytes > service.MaxChunkBytes {
		return fmt.Errorf("the overlay is %.0f MiB: the baseline's single-body upload is limited to %d MiB; use a smaller -size",
			mib(warm.bytes), service.MaxChunkBytes>>20)
	}

	// The baseline's scans carry the report the agent would send.
	rep, err := scan.Inventory(ctx, root, scan.InventoryOptions{AgentVersion: "kiln-bench-scan"})
	if err != nil {
		return err
	}
	report, err := json.Marshal(rep)
	if err != nil {
		return err
	}
	dist := &uforge.Distribution{Name: uforge.Str("Debian"), Version: uforge.Str(rep.Distribution.VersionID), Arch: uforge.Str("x86_64")}

	var base, agent []result
	if c.runs <= 0 {
		return profileScan(ctx, c, root, srv)
	}
	for i := 1; i <= c.runs; i++ {
		b, err := baseline(ctx, srv, root, list, fmt.Sprintf("bench-baseline-%d", i), dist, report)
		if err != nil {
			return fmt.Errorf("baseline run %d: %w", i, err)
		}
		if b.files != warm.files {
			fmt.Printf("  warning: the baseline's overlay has %d files, kiln's %d\n", b.files, warm.files)
		}
		printRun(fmt.Sprintf("baseline %d", i), b)
		base = append(base, b)

		k, siid, _, err := kilnScan(ctx, kiln, root, srv, fmt.Sprintf("bench-kiln-%d", i))
		if err != nil {
			return fmt.Errorf("kiln run %d: %w", i, err)
		}
		if err := srv.deleteInstance(ctx, siid); err != nil {
			return err
		}
		printRun(fmt.Sprintf("kiln %d", i), k)
		agent = append(agent, k)
	}

	mb, mk := medianOf(base), medianOf(agent)
	fmt.Printf("\nscan of %s + %d synthetic files: overlay of %d files, %.1f MiB; medians of %d runs\n",
		src, c.files, warm.files, mib(warm.bytes), c.runs)
	fmt.Printf("%-22s %9s %10s %9s %15s %9s\n", "", "wall", "files/s", "MiB/s", "peak RSS", "CPU")
	fmt.Printf("%-22s %9s %10.0f %9.1f %11.1f MiB %9s\n", "baseline tar | curl", round(mb.wall), mb.filesPerSec(), mb.mibPerSec(), mb.rssMiB, round(mb.cpu))
	fmt.Printf("%-22s %9s %10.0f %9.1f %11.1f MiB %9s\n", "kiln scan -o", round(mk.wall), mk.filesPerSec(), mk.mibPerSec(), mk.rssMiB, round(mk.cpu))
	rf, rb := mk.filesPerSec()/mb.filesPerSec(), mk.mibPerSec()/mb.mibPerSec()
	fmt.Printf("%-22s %9s %9.2f× %8.2f×\n", "ratio kiln/baseline", "", rf, rb)
	fmt.Printf("targets: files/s ≥ 0.80× baseline %s, MiB/s ≥ 0.80× baseline %s, agent peak RSS ≤ 100 MiB %s\n",
		verdict(rf >= 0.8), verdict(rb >= 0.8), verdict(mk.rssMiB <= 100))
	return profileScan(ctx, c, root, srv)
}

// kilnScan times one `kiln scan -o` of root into a new instance, and reads
// what the server recorded of it.
func kilnScan(ctx context.Context, kiln, root string, srv *server, name string) (r result, siid, sid int64, err error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, kiln, "scan", "--root", root, "-u", "admin", "-p", password, "-U", srv.url, "-n", name, "-o")
	cmd.Env = cleanEnv()
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	hwm := selfHWM()
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return r, 0, 0, err
	}
	rss := watchRSS(cmd.Process, hwm)
	err = cmd.Wait()
	r.wall = time.Since(start)
	r.rssMiB = rss.peakMiB(cmd.ProcessState)
	r.cpu = cpuTime(cmd.ProcessState)
	if err != nil {
		return r, 0, 0, fmt.Errorf("kiln scan: %v: %s", err, lastLines(stderr.String(), 10))
	}
	m := scanDoneRe.FindStringSubmatch(stdout.String())
	if m == nil {
		return r, 0, 0, fmt.Errorf("kiln scan: no scan id in its output: %q", stdout.String())
	}
	sid, _ = strconv.ParseInt(m[1], 10, 64)
	siid, _ = strconv.ParseInt(m[2], 10, 64)
	fig, err := srv.completeScan(ctx, siid, sid)
	if err != nil {
		return r, 0, 0, err
	}
	r.files, r.bytes = fig.files, fig.bytes
	if m := agentRateRe.FindAllStringSubmatch(stderr.String(), -1); m != nil {
		r.detail = "agent's own overlay figure: " + m[len(m)-1][1] + " MiB/s"
	}
	return r, siid, sid, nil
}

var (
	scanDoneRe  = regexp.MustCompile(`Scan successful: scan (\d+) of instance (\d+)`)
	agentRateRe = regexp.MustCompile(`overlay: \d+ files, [\d.]+ MiB sent, ([\d.]+) MiB/s, done`)
)

// baseline times tar of the listed members piped into one curl upload of the
// whole overlay to a scan prepared beforehand.
func baseline(ctx context.Context, srv *server, root, list, name string, dist *uforge.Distribution, report []byte) (result, error) {
	var r result
	siid, sid, err := srv.newScan(ctx, name, dist, report)
	if err != nil {
		return r, err
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return r, err
	}
	var tarErr, curlOut bytes.Buffer
	tar := exec.CommandContext(ctx, "tar", "-C", root, "-cf", "-", "--no-recursion", "--null", "--verbatim-files-from", "-T", list)
	tar.Stdout, tar.Stderr = pw, &tarErr
	// -T - streams stdin as a chunked body (--data-binary @- would read it all
	// into memory first); "Expect:" drops the 100-continue round trip.
	curl := exec.CommandContext(ctx, "curl", "-sS", "--fail-with-body", "-u", "admin:"+password, "-X", "POST", "-T", "-",
		"-H", "Content-Type: application/octet-stream", "-H", "Expect:", srv.overlayURL(siid, sid))
	curl.Stdin, curl.Stdout, curl.Stderr = pr, &curlOut, &curlOut
	hwm := selfHWM()
	start := time.Now()
	if err := tar.Start(); err != nil {
		pr.Close()
		pw.Close()
		return r, err
	}
	tarWatch := watchRSS(tar.Process, hwm)
	err = curl.Start()
	pr.Close()
	pw.Close()
	if err != nil {
		tar.Process.Kill()
		tar.Wait()
		tarWatch.peakMiB(tar.ProcessState)
		return r, err
	}
	curlWatch := watchRSS(curl.Process, hwm)
	tarRunErr, curlRunErr := tar.Wait(), curl.Wait()
	r.wall = time.Since(start)
	tarRSS, curlRSS := tarWatch.peakMiB(tar.ProcessState), curlWatch.peakMiB(curl.ProcessState)
	if tarRunErr != nil {
		return r, fmt.Errorf("tar: %v: %s", tarRunErr, lastLines(tarErr.String(), 5))
	}
	if curlRunErr != nil {
		return r, fmt.Errorf("curl: %v: %s", curlRunErr, lastLines(curlOut.String(), 5))
	}
	r.rssMiB = tarRSS + curlRSS
	r.cpu = cpuTime(tar.ProcessState) + cpuTime(curl.ProcessState)
	r.detail = fmt.Sprintf("tar %.1f MiB + curl %.1f MiB", tarRSS, curlRSS)
	fig, err := srv.completeScan(ctx, siid, sid)
	if err != nil {
		return r, err
	}
	r.files, r.bytes = fig.files, fig.bytes
	return r, srv.deleteInstance(ctx, siid)
}

// medianOf takes the median of each figure on its own.
func medianOf(rs []result) result {
	med := func(f func(result) float64) float64 {
		v := make([]float64, len(rs))
		for i, r := range rs {
			v[i] = f(r)
		}
		slices.Sort(v)
		if len(v)%2 == 1 {
			return v[len(v)/2]
		}
		return (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	// Files and bytes are the same in every run of a side; the wall time's
	// median gives the throughput medians.
	return result{
		wall:   time.Duration(med(func(r result) float64 { return float64(r.wall) })),
		files:  rs[0].files,
		bytes:  int64(med(func(r result) float64 { return float64(r.bytes) })),
		rssMiB: med(func(r result) float64 { return r.rssMiB }),
		cpu:    time.Duration(med(func(r result) float64 { return float64(r.cpu) })),
	}
}

func cpuTime(ps *os.ProcessState) time.Duration {
	if ps == nil {
		return 0
	}
	return ps.UserTime() + ps.SystemTime()
}

func printRun(label string, r result) {
	fmt.Printf("  %-11s %8s %8.0f files/s %7.1f MiB/s  peak RSS %.1f MiB  CPU %s  (%s)\n",
		label, round(r.wall), r.filesPerSec(), r.mibPerSec(), r.rssMiB, round(r.cpu), r.detail)
}

// ensureKiln builds the kiln binary at path when it is missing.
func ensureKiln(path string) error {
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	fmt.Printf("building %s\n", path)
	cmd := exec.Command("go", "build", "-o", path, "./cmd/kiln")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("build %s: %w", path, err)
	}
	return nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

func verdict(ok bool) string {
	if ok {
		return "PASS"
	}
	return "FAIL"
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

func round(d time.Duration) string { return d.Round(10 * time.Millisecond).String() }
