package generate_test

import (
	"context"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kilnhq/kiln/examples"
	"github.com/kilnhq/kiln/internal/distro"
	"github.com/kilnhq/kiln/internal/generate"
	"github.com/kilnhq/kiln/internal/imgfmt"
	"github.com/kilnhq/kiln/internal/imgfmt/qcow2"
	"github.com/kilnhq/kiln/internal/plan"
	"github.com/kilnhq/kiln/internal/qemutest"
	"github.com/kilnhq/kiln/internal/spec"
	"github.com/kilnhq/kiln/internal/testenv"
)

// e2eEngine returns an engine whose caches are shared by every end-to-end test
// of a run (KILN_E2E_CACHE, default a fixed directory under the temp dir), so
// Debian is bootstrapped once per run.
func e2eEngine(t *testing.T) *generate.Engine {
	t.Helper()
	testenv.RequireE2E(t, "bootstraps Debian and builds images")
	cache := os.Getenv("KILN_E2E_CACHE")
	if cache == "" {
		cache = filepath.Join(os.TempDir(), "kiln-e2e-cache")
	}
	mirrors, err := distro.LoadMirrors("/", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	eng, err := generate.New(generate.Config{CacheDir: cache, WorkDir: t.TempDir(), Mirrors: mirrors,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		t.Fatal(err)
	}
	return eng
}

func referenceSpec(t *testing.T) *spec.Spec {
	t.Helper()
	s, err := examples.Reference()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// planned plans s as the API and kiln build do.
func planned(t *testing.T, s *spec.Spec) *plan.Plan {
	t.Helper()
	p, err := plan.New(s, plan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func qemuImg(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("qemu-img", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("qemu-img %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestE2EReferenceBuildBoots builds the reference appliance as qcow2, checks
// the file with qemu-img, boots it under BIOS and UEFI and proves from the
// serial console that the image is what the spec asked for.
func TestE2EReferenceBuildBoots(t *testing.T) {
	eng := e2eEngine(t)
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Minute)
	defer cancel()
	s := referenceSpec(t)
	out := t.TempDir()
	var stages []generate.Stage
	last := -1
	res, err := eng.Run(ctx, planned(t, s), out, func(u generate.Update) {
		if u.Percent < last {
			t.Errorf("progress went back from %d to %d", last, u.Percent)
		}
		last = u.Percent
		if len(stages) == 0 || stages[len(stages)-1] != u.Stage {
			stages = append(stages, u.Stage)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("built %s (%d bytes, cache hit %v) in %v", res.Path, res.Size, res.CacheHit, res.Timings)
	if last != 100 || stages[len(stages)-1] != generate.StageDone {
		t.Fatalf("progress ended at %d%% in stage %v", last, stages)
	}
	if res.Format != "qcow2" || !strings.HasSuffix(res.Path, ".qcow2") || len(res.SHA256) != 64 {
		t.Fatalf("result = %+v", res)
	}
	if !hasPackage(res, "openssh-server") || !hasPackage(res, "linux-image-amd64") {
		t.Fatal("installed package list lacks openssh-server or linux-image-amd64")
	}
	qemuImg(t, "check", "-f", "qcow2", res.Path)
	if info := qemuImg(t, "info", "-f", "qcow2", "--output=json", res.Path); !strings.Contains(info, `"virtual-size": 2147483648`) {
		t.Fatalf("virtual size is not 2 GiB: %s", info)
	}
	for _, fw := range []qemutest.Firmware{qemutest.BIOS, qemutest.UEFI} {
		t.Run(fw.String(), func(t *testing.T) { checkBoot(t, ctx, res.Path, fw) })
	}
}

func hasPackage(res *generate.Result, name string) bool {
	for _, p := range res.Packages {
		if p.Name == name {
			return true
		}
	}
	return false
}

func checkBoot(t *testing.T, ctx context.Context, image string, fw qemutest.Firmware) {
	start := time.Now()
	vm, err := qemutest.Boot(ctx, qemutest.Options{Image: image, Format: "qcow2", Firmware: fw, Snapshot: true,
		Timeout: 8 * time.Minute, ConsoleLog: filepath.Join(t.TempDir(), "console.log")})
	if err != nil {
		t.Fatal(err)
	}
	defer vm.Close()
	if err := vm.Login(ctx, "root", "kiln"); err != nil {
		t.Fatalf("%v\nconsole:\n%s", err, tail(vm.Console()))
	}
	t.Logf("%s: logged in after %v", fw, time.Since(start).Round(time.Second))
	checks := map[string]string{
		"hostname":                "kiln-ref",
		"id -un ops; id -Gn ops":  "ops",
		"readlink /etc/localtime": "Europe/Paris",
		"date +%Z":                "CE", // CET or CEST
		"dpkg-query -W -f '${Status}' openssh-server": "install ok installed",
		"cat /home/ops/.ssh/authorized_keys":          "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDwnto",
		"sudo -l -U ops":                              "NOPASSWD",
		"findmnt -n -o FSTYPE /":                      "ext4",
		"cat /proc/cmdline":                           "console=ttyS0",
	}
	if fw == qemutest.UEFI {
		checks["test -d /sys/firmware/efi && echo efi"] = "efi"
	} else {
		checks["test -d /sys/firmware/efi || echo bios"] = "bios"
	}
	for cmd, want := range checks {
		got, err := vm.Run(ctx, cmd)
		if err != nil || !strings.Contains(got, want) {
			t.Errorf("%s: %q = %q (%v), want it to contain %q", fw, cmd, got, err, want)
		}
	}
}

// TestE2ERawAndQCOW2Identical builds the reference as raw (reusing the cached
// base) and checks that our qcow2 writer produces the same disk from it.
func TestE2ERawAndQCOW2Identical(t *testing.T) {
	eng := e2eEngine(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	s := referenceSpec(t)
	s.Output.Format = "raw"
	res, err := eng.Run(ctx, planned(t, s), t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("raw build: cache hit %v, timings %v", res.CacheHit, res.Timings)
	src, err := os.Open(res.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	q := filepath.Join(t.TempDir(), "disk.qcow2")
	dst, err := os.Create(q)
	if err != nil {
		t.Fatal(err)
	}
	if err := qcow2.Convert(ctx, src, dst, imgfmt.Options{}); err != nil {
		t.Fatal(err)
	}
	dst.Close()
	qemuImg(t, "check", "-f", "qcow2", q)
	if out := qemuImg(t, "compare", "-f", "raw", "-F", "qcow2", res.Path, q); !strings.Contains(out, "identical") {
		t.Fatalf("qemu-img compare: %s", out)
	}
}

func tail(s string) string {
	if len(s) > 3000 {
		return s[len(s)-3000:]
	}
	return s
}
