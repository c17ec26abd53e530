package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/kilnhq/kiln/internal/rootfs"
)

// pickBase returns the tree of the largest complete base in a rootfs cache
// (internal/rootfs/README.md: bases/<key>/tree, complete when meta.json is
// there; its SizeBytes is the tree's size).
func pickBase(cache string) (string, error) {
	metas, _ := filepath.Glob(filepath.Join(cache, "bases", "*", "meta.json"))
	best, bestSize := "", int64(-1)
	for _, m := range metas {
		data, err := os.ReadFile(m)
		if err != nil {
			continue
		}
		var meta struct{ SizeBytes int64 }
		if json.Unmarshal(data, &meta) != nil {
			continue
		}
		tree := filepath.Join(filepath.Dir(m), "tree")
		if st, err := os.Stat(filepath.Join(tree, "var", "lib", "dpkg", "status")); err != nil || !st.Mode().IsRegular() {
			continue
		}
		if meta.SizeBytes > bestSize {
			best, bestSize = tree, meta.SizeBytes
		}
	}
	if best == "" {
		return "", fmt.Errorf("no bootstrapped base under %s/bases (run the e2e tests, or give -root DIR)", cache)
	}
	return best, nil
}

// bootstrapTree installs at dst (which must not exist) the base whose tree is
// base (a cache entry: bases/<key>/tree beside its meta.json) the way Kiln
// bootstrapped it (internal/rootfs/bootstrap.go: mmdebstrap in root mode, the
// same variant, packages and sources, one initramfs build at the end), with
// the release's .debs copied from the cache's pool (cp -a, not hard links:
// the cache's files are not touched; apt downloads only what the pool lacks).
//
// Why not a copy of the cached tree: a copy (cp -a) gives every file a new
// inode whose ctime is the time of the copy, after the time dpkg recorded each
// package as installed (the mtime of its .list), as on a system restored from
// a backup; and the cached tree itself has had its ctimes moved by every build
// that hard-linked it. A tree that dpkg itself installed has the timestamps
// of any installed system, which the agent's ctime fast path relies on
// (internal/scan/overlay_walk.go). -source copy measures the copy instead:
// the agent then reads every package file, its worst case.
func bootstrapTree(ctx context.Context, cache, base, dst string) error {
	data, err := os.ReadFile(filepath.Join(filepath.Dir(base), "meta.json"))
	if err != nil {
		return fmt.Errorf("the base's recipe: %w (give -source copy to copy the tree instead)", err)
	}
	var meta struct{ Request rootfs.Request }
	if err := json.Unmarshal(data, &meta); err != nil {
		return fmt.Errorf("the base's recipe %s: %w", filepath.Join(filepath.Dir(base), "meta.json"), err)
	}
	r := meta.Request
	if r.Codename == "" || r.Variant == "" || r.Arch == "" || len(r.Sources) == 0 {
		return fmt.Errorf("the base's recipe is incomplete: %+v", r)
	}
	var include []string
	for _, p := range r.Packages {
		if p.Version != "" {
			include = append(include, p.Name+"="+p.Version)
		} else {
			include = append(include, p.Name)
		}
	}
	dist := r.Distribution
	if dist == "" {
		dist = "debian"
	}
	pool := filepath.Join(cache, "debs", dist+"-"+r.Codename+"-"+r.Arch)
	args := []string{
		"--mode=root", "--variant=" + r.Variant, "--arch=" + r.Arch,
		// The pool's path comes through the environment, never spliced into
		// shell text; no pool, no copy.
		`--setup-hook=if [ -d "$BENCH_DEB_POOL" ]; then mkdir -p "$1/var/cache/apt/archives/partial" && cp -a "$BENCH_DEB_POOL/." "$1/var/cache/apt/archives/"; fi`,
		`--customize-hook=if [ -x "$1/usr/sbin/update-initramfs" ]; then chroot "$1" update-initramfs -c -k all; fi`,
	}
	if len(include) > 0 {
		args = append(args, "--include="+strings.Join(include, ","))
	}
	args = append(args, "--", r.Codename, dst)
	for _, s := range r.Sources {
		args = append(args, s.Line())
	}
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "mmdebstrap", args...)
	cmd.Env = append(cleanEnv(), "BENCH_DEB_POOL="+pool, "LC_ALL=C.UTF-8", "INITRD=No")
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("mmdebstrap: %v: %s", err, lastLines(stderr.String(), 10))
	}
	return nil
}

// copyTree copies src to dst (which must not exist) with owners, modes,
// links and device nodes: the scanned tree is a copy, so the synthetic files
// never touch the cache or the caller's tree.
func copyTree(src, dst string) error {
	var stderr bytes.Buffer
	cmd := exec.Command("cp", "-a", "--reflink=auto", src, dst)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("cp -a %s %s: %v: %s", src, dst, err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// addSynthetic writes n regular files totalling about size bytes under
// root/opt/bench (100 per directory). Sizes are mixed: drawn log-uniformly
// between 256 B and 4 MiB, then scaled to the total, so most files are small
// and a few are large, as in a real tree. Contents are pseudo-random; the
// seed is fixed, so every run scans the same load.
func addSynthetic(root string, n int, size int64) (int64, error) {
	if n <= 0 {
		return 0, nil
	}
	rng := rand.New(rand.NewPCG(1, 2))
	raw := make([]float64, n)
	sum := 0.0
	for i := range raw {
		raw[i] = math.Exp(math.Log(256) + rng.Float64()*(math.Log(4<<20)-math.Log(256)))
		sum += raw[i]
	}
	buf := make([]byte, 8<<20)
	cha := rand.NewChaCha8([32]byte{7})
	cha.Read(buf)
	var total int64
	for i := range n {
		dir := filepath.Join(root, "opt", "bench", fmt.Sprintf("d%03d", i/100))
		if i%100 == 0 {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return 0, err
			}
		}
		sz := min(int64(raw[i]/sum*float64(size)), int64(len(buf))/2)
		off := rng.Int64N(int64(len(buf)) - sz + 1)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%05d.dat", i)), buf[off:off+sz], 0o644); err != nil {
			return 0, err
		}
		total += sz
	}
	return total, nil
}

// treeStats counts the entries and regular-file bytes of a tree (what the
// agent walks; it reads the package files changed since dpkg installed them,
// all of them in a copied tree, to compare them with dpkg's md5sums).
func treeStats(root string) (entries, bytes int64, err error) {
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		entries++
		if d.Type().IsRegular() {
			if info, err := d.Info(); err == nil {
				bytes += info.Size()
			}
		}
		return nil
	})
	return entries, bytes, err
}

// parseSize reads "160M", "1G", "512KiB", "4096": binary units.
func parseSize(s string) (int64, error) {
	t := strings.TrimSuffix(strings.TrimSuffix(strings.ToUpper(strings.TrimSpace(s)), "B"), "I")
	mult := int64(1)
	if t != "" {
		switch t[len(t)-1] {
		case 'K':
			mult, t = 1<<10, t[:len(t)-1]
		case 'M':
			mult, t = 1<<20, t[:len(t)-1]
		case 'G':
			mult, t = 1<<30, t[:len(t)-1]
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || v < 0 {
		return 0, errors.New("size " + strconv.Quote(s) + ": want a number of bytes with an optional K, M or G")
	}
	return int64(v * float64(mult)), nil
}

// syntheticBytes is the size of the synthetic files under root/opt/bench.
func syntheticBytes(root string) (int64, error) {
	_, n, err := treeStats(filepath.Join(root, "opt", "bench"))
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	return n, err
}

// removeWork removes the scratch directory, unless something is still mounted
// below it (a bootstrap interrupted before mmdebstrap unmounted /proc, /dev
// and friends from the chroot): removing through a mount would delete the
// host's files. It says so and leaves the directory instead.
func removeWork(dir string) {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: %s left in place: cannot read the mount table: %v\n", dir, err)
		return
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) > 4 && (f[4] == dir || strings.HasPrefix(f[4], dir+"/")) {
			fmt.Fprintf(os.Stderr, "bench: %s left in place: %s is mounted below it\n", dir, f[4])
			return
		}
	}
	os.RemoveAll(dir)
}
