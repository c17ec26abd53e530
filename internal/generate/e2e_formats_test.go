package generate_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/kilnhq/kiln/internal/imgfmt"
	"github.com/kilnhq/kiln/internal/imgfmt/vdi"
	"github.com/kilnhq/kiln/internal/imgfmt/vhd"
	"github.com/kilnhq/kiln/internal/imgfmt/vhdx"
	"github.com/kilnhq/kiln/internal/imgfmt/vmdk"
	"github.com/kilnhq/kiln/internal/qemutest"
)

// TestE2EFormatFamiliesBoot converts one build of the reference appliance with
// each of our disk writers and boots every result under QEMU (which opens
// vmdk, vpc, vhdx and vdi directly) to the login prompt.
func TestE2EFormatFamiliesBoot(t *testing.T) {
	eng := e2eEngine(t)
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Minute)
	defer cancel()
	s := referenceSpec(t)
	s.Output.Format = "raw"
	res, err := eng.Run(ctx, planned(t, s), t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	login := regexp.MustCompile(`kiln-ref login: `)
	for _, tc := range []struct {
		name, qemuFormat string
		conv             imgfmt.Converter
	}{
		{"vmdk-streamOptimized", "vmdk", vmdk.Converter{Subformat: vmdk.StreamOptimized}},
		{"vhd-dynamic", "vpc", vhd.Converter{Subformat: vhd.Dynamic}},
		{"vhdx", "vhdx", vhdx.Converter{}},
		{"vdi", "vdi", vdi.Converter{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img := filepath.Join(t.TempDir(), "disk."+tc.qemuFormat)
			convertFile(t, ctx, tc.conv, res.Path, img)
			start := time.Now()
			vm, err := qemutest.Boot(ctx, qemutest.Options{Image: img, Format: tc.qemuFormat, Firmware: qemutest.BIOS,
				Snapshot: true, Timeout: 8 * time.Minute})
			if err != nil {
				t.Fatal(err)
			}
			defer vm.Close()
			if _, err := vm.WaitFor(ctx, login); err != nil {
				t.Fatalf("%v\nconsole:\n%s", err, tail(vm.Console()))
			}
			t.Logf("%s: login prompt after %v", tc.name, time.Since(start).Round(time.Second))
		})
	}
}

func convertFile(t *testing.T, ctx context.Context, c imgfmt.Converter, src, dst string) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	if err := c.Convert(ctx, in, out, imgfmt.Options{}); err != nil {
		t.Fatal(err)
	}
}
