package generate_test

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestE2ELiveMedia takes the reference appliance through the pipeline as an
// ISO and as a PXE bundle and checks what firmware and iPXE read of them.
// Booting both is internal/target/live's end-to-end test, on the same base.
func TestE2ELiveMedia(t *testing.T) {
	eng := e2eEngine(t)
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Minute)
	defer cancel()

	t.Run("ISO", func(t *testing.T) {
		s := referenceSpec(t)
		s.Output.Format = "ISO"
		res, err := eng.Run(ctx, planned(t, s), t.TempDir(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(res.Path, ".iso") || !hasPackage(res, "live-boot") {
			t.Fatalf("artifact %s, live-boot installed: %v", res.Path, hasPackage(res, "live-boot"))
		}
		out, err := exec.Command("xorriso", "-indev", res.Path, "-report_el_torito", "plain", "-find", "/live").CombinedOutput()
		if err != nil {
			t.Fatalf("xorriso: %v\n%s", err, out)
		}
		for _, want := range []string{"BIOS", "UEFI", "/live/filesystem.squashfs", "/live/vmlinuz", "/live/initrd.img"} {
			if !strings.Contains(string(out), want) {
				t.Errorf("the ISO lacks %q:\n%s", want, out)
			}
		}
		t.Logf("ISO: %d MiB", res.Size>>20)
	})

	t.Run("PXE", func(t *testing.T) {
		s := referenceSpec(t)
		s.Output.Format = "PXE"
		res, err := eng.Run(ctx, planned(t, s), t.TempDir(), nil)
		if err != nil {
			t.Fatal(err)
		}
		dir, names := untarFile(t, res.Path)
		for _, want := range []string{"boot.ipxe", "vmlinuz", "initrd.img", "filesystem.squashfs"} {
			if !strings.Contains(" "+strings.Join(names, " ")+" ", " "+want+" ") {
				t.Errorf("PXE bundle lacks %s: %v", want, names)
			}
		}
		script, err := exec.Command("cat", dir+"/boot.ipxe").Output()
		if err != nil || !strings.HasPrefix(string(script), "#!ipxe") || !strings.Contains(string(script), "fetch=") {
			t.Errorf("boot.ipxe (%v):\n%s", err, script)
		}
	})
}
