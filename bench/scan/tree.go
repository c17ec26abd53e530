package main

import (
	"bytes"
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
// agent walks; it reads every package file too, to compare it with dpkg's
// md5sums).
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
