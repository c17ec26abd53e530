package qcow2_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/kilnhq/kiln/internal/imgfmt"
	"github.com/kilnhq/kiln/internal/imgfmt/internal/imgtest"
	"github.com/kilnhq/kiln/internal/imgfmt/qcow2"
)

// maxAlloc bounds what opening and reading a few clusters of any input may
// allocate: reads are per cluster (at most 2 MiB) and compressed extents at
// most two clusters.
const maxAlloc = 16 << 20

// FuzzOpen feeds hostile headers, L1/L2 tables and compressed streams to the
// reader: it must not panic, and it must not allocate in proportion to what the
// header claims.
func FuzzOpen(f *testing.F) {
	// Seeds live in testdata/fuzz/FuzzOpen (written by TestWriteFuzzSeeds).
	f.Add([]byte("QFI\xfb"))
	imgtest.FuzzReader(f, maxAlloc, func(data []byte) (imgtest.Image, int, error) {
		r, err := qcow2.Open(bytes.NewReader(data))
		if err != nil {
			return nil, 0, err
		}
		return r, 3 * int(r.ClusterSize()), nil
	})

}

// TestWriteFuzzSeeds regenerates the seed corpus from small images written by
// us and by qemu-img (512-byte clusters keep them a few KiB). Run with
// KILN_WRITE_SEEDS=1.
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("KILN_WRITE_SEEDS") == "" {
		t.Skip("set KILN_WRITE_SEEDS=1 to regenerate testdata/fuzz/FuzzOpen")
	}
	// Small seeds keep the fuzzer fast (it minimises every new input): a
	// 40 KiB disk, not a multiple of the cluster size, with a little data.
	disk := make([]byte, 40000)
	copy(disk[1000:], pattern(1500, 1))
	copy(disk[33000:], random(600))
	raw := filepath.Join(t.TempDir(), "seed.raw")
	if err := os.WriteFile(raw, disk, 0o644); err != nil {
		t.Fatal(err)
	}
	seeds := map[string][]byte{}
	for _, compress := range []bool{false, true} {
		out := convert(t, qcow2.Converter{ClusterBits: 9}, raw, imgfmt.Options{Compress: compress})
		b, _ := os.ReadFile(out)
		seeds[fmt.Sprintf("kiln-compress-%v", compress)] = b
		big := convert(t, qcow2.Converter{}, raw, imgfmt.Options{Compress: compress})
		b, _ = os.ReadFile(big)
		seeds[fmt.Sprintf("kiln-64k-head-compress-%v", compress)] = b[:4096] // header and the start of L1
	}
	for name, args := range map[string][]string{
		"qemu-v3":            {"-o", "cluster_size=512"},
		"qemu-v2":            {"-o", "cluster_size=512,compat=0.10"},
		"qemu-v3-compressed": {"-c", "-o", "cluster_size=512"},
	} {
		out := filepath.Join(t.TempDir(), name)
		cmd := exec.CommandContext(context.Background(), "qemu-img", append(append([]string{"convert", "-f", "raw", "-O", "qcow2"}, args...), raw, out)...)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("qemu-img: %v: %s", err, b)
		}
		b, _ := os.ReadFile(out)
		seeds[name] = b
	}
	imgtest.WriteSeeds(t, seeds)
}
