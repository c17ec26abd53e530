package live_test

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kilnhq/kiln/examples"
	"github.com/kilnhq/kiln/internal/configure"
	"github.com/kilnhq/kiln/internal/distro"
	"github.com/kilnhq/kiln/internal/plan"
	"github.com/kilnhq/kiln/internal/qemutest"
	"github.com/kilnhq/kiln/internal/rootfs"
	"github.com/kilnhq/kiln/internal/spec"
	"github.com/kilnhq/kiln/internal/target/live"
	"github.com/kilnhq/kiln/internal/testenv"
)

// TestE2ELive builds the reference appliance's tree with live-boot (as the
// generation pipeline does for the live formats), then one ISO, booted from a
// CD-ROM and as a disk with SeaBIOS and with OVMF, and one PXE bundle, booted over HTTP by
// the NIC's iPXE. Each boot logs in on ttyS0 and checks that the root is
// live-boot's overlay.
func TestE2ELive(t *testing.T) {
	testenv.RequireE2E(t, "builds a live ISO and PXE files and boots them")
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Minute)
	defer cancel()
	s := referenceSpec(t)
	tree := prepareTree(t, ctx, s)
	in := live.Input{Root: tree, Label: s.Name, KernelParams: s.Install.KernelParameters}

	t.Run("iso", func(t *testing.T) {
		in := in
		in.WorkDir = t.TempDir()
		iso := filepath.Join(t.TempDir(), "live.iso")
		start := time.Now()
		var squashed time.Duration
		in.Progress = func(done, total int64) {
			// The last report short of total is mksquashfs's bar at 100 %.
			if done == total-1 && squashed == 0 {
				squashed = time.Since(start)
			}
		}
		if err := live.ISO(ctx, iso, in); err != nil {
			t.Fatal(err)
		}
		st, err := os.Stat(iso)
		if err != nil {
			t.Fatal(err)
		}
		took := time.Since(start)
		t.Logf("ISO built in %v (mksquashfs %v, then grub-mkrescue %v): %d MiB", took.Round(100*time.Millisecond),
			squashed.Round(100*time.Millisecond), (took - squashed).Round(100*time.Millisecond), st.Size()>>20)
		for _, fw := range []qemutest.Firmware{qemutest.BIOS, qemutest.UEFI} {
			t.Run(fw.String(), func(t *testing.T) {
				checkLive(t, ctx, s, qemutest.Options{CDROM: iso, Firmware: fw}, "boot=live")
			})
		}
		// Hybrid: the same file written to a USB stick or a disk boots too
		// (GRUB's MBR code on BIOS, the GPT's EFI partition on UEFI).
		for _, fw := range []qemutest.Firmware{qemutest.BIOS, qemutest.UEFI} {
			t.Run(fw.String()+"-disk", func(t *testing.T) {
				checkLive(t, ctx, s, qemutest.Options{Image: iso, Format: "raw", Snapshot: true, Firmware: fw}, "boot=live")
			})
		}
	})

	t.Run("pxe", func(t *testing.T) {
		in := in
		in.WorkDir = t.TempDir()
		dir := t.TempDir()
		start := time.Now()
		if err := buildPXE(ctx, in, dir); err != nil {
			t.Fatal(err)
		}
		t.Logf("PXE bundle built and unpacked in %v", time.Since(start).Round(time.Second))
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		// The guest reaches the host's loopback at 10.0.2.2 (QEMU user networking).
		base := fmt.Sprintf("http://10.0.2.2:%d", ln.Addr().(*net.TCPAddr).Port)
		mux := http.NewServeMux()
		mux.Handle("/", http.FileServer(http.Dir(dir)))
		// Debian 12's iPXE (2019) has no ${cwduri}: the operator's way, as
		// README.txt says, is to set base and chain boot.ipxe.
		mux.HandleFunc("/start.ipxe", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "#!ipxe\nset base %s\nchain ${base}/boot.ipxe\n", base)
		})
		srv := &http.Server{Handler: mux}
		go srv.Serve(ln)
		defer srv.Close()
		checkLive(t, ctx, s, qemutest.Options{NetBootURL: base + "/start.ipxe", MemoryMB: 2048},
			"fetch="+base+"/filesystem.squashfs")
	})
}

func referenceSpec(t *testing.T) *spec.Spec {
	t.Helper()
	s, err := examples.Reference()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// prepareTree bootstraps (or takes from the cache shared by the end-to-end
// tests) the spec's packages plus live.Packages(), the request built as
// internal/generate builds it, and configures the tree from the install profile.
func prepareTree(t *testing.T, ctx context.Context, s *spec.Spec) string {
	t.Helper()
	cache := os.Getenv("KILN_E2E_CACHE")
	if cache == "" {
		cache = filepath.Join(os.TempDir(), "kiln-e2e-cache")
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	rb, err := rootfs.New(cache, 20<<30, log)
	if err != nil {
		t.Fatal(err)
	}
	mirrors, err := distro.LoadMirrors("/", nil, log)
	if err != nil {
		t.Fatal(err)
	}
	codename, ok := spec.Codename(s.Distribution.Release)
	if !ok {
		t.Fatalf("release %q", s.Distribution.Release)
	}
	srcs, err := mirrors.Sources(s.Distribution.Release)
	if err != nil {
		t.Fatal(err)
	}
	pl, err := plan.New(s, plan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	pkgs := pl.Packages
	for _, p := range live.Packages() {
		pkgs = append(pkgs, spec.Package{Name: p})
	}
	req := rootfs.Request{Distribution: s.Distribution.Name, Codename: codename, Arch: s.Distribution.Arch,
		Variant: s.Distribution.Variant, Packages: pkgs}
	for _, src := range srcs {
		req.Sources = append(req.Sources, rootfs.Source{URI: src.URI, Suite: src.Suite, Components: src.Components})
	}
	tree := filepath.Join(t.TempDir(), "root")
	start := time.Now()
	res, err := rb.Prepare(ctx, req, tree, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("tree prepared in %v (cache hit %v)", time.Since(start).Round(time.Second), res.CacheHit)
	if err := configure.Apply(ctx, tree, s.Install); err != nil {
		t.Fatal(err)
	}
	return tree
}

// buildPXE writes the PXE tar and unpacks it into dir, streaming.
func buildPXE(ctx context.Context, in live.Input, dir string) error {
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := live.PXE(ctx, pw, in)
		pw.CloseWithError(err)
		done <- err
	}()
	if err := untar(pr, dir); err != nil {
		pr.CloseWithError(err) // unblocks PXE
		<-done
		return err
	}
	return <-done
}

func untar(r io.Reader, dir string) error {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		f, err := os.Create(filepath.Join(dir, filepath.Base(h.Name)))
		if err != nil {
			return err
		}
		_, err = io.Copy(f, tr)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
}

// checkLive boots o, logs in as root and checks the live system.
func checkLive(t *testing.T, ctx context.Context, s *spec.Spec, o qemutest.Options, wantCmdline string) {
	start := time.Now()
	o.Timeout = 12 * time.Minute
	o.ConsoleLog = filepath.Join(t.TempDir(), "console.log")
	vm, err := qemutest.Boot(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	defer vm.Close()
	if err := vm.Login(ctx, "root", s.Install.RootPassword); err != nil {
		t.Fatalf("%v\nconsole:\n%s", err, tail(vm.Console()))
	}
	t.Logf("logged in after %v", time.Since(start).Round(time.Second))
	checks := []struct{ cmd, want string }{
		{"cat /proc/cmdline", "boot=live"},
		{"cat /proc/cmdline", wantCmdline},
		{"findmnt -n -o FSTYPE /", "overlay"},
		{"hostname", s.Install.Hostname},
		{"findmnt -n -o FSTYPE /run/live/rootfs/filesystem.squashfs", "squashfs"},
	}
	if o.Firmware == qemutest.UEFI {
		checks = append(checks, struct{ cmd, want string }{"test -d /sys/firmware/efi && echo efi", "efi"})
	} else {
		checks = append(checks, struct{ cmd, want string }{"test -d /sys/firmware/efi || echo bios", "bios"})
	}
	for _, c := range checks {
		got, err := vm.Run(ctx, c.cmd)
		if err != nil || !strings.Contains(got, c.want) {
			t.Errorf("%q = %q (%v), want it to contain %q", c.cmd, got, err, c.want)
		}
	}
	cmdline, _ := vm.Run(ctx, "cat /proc/cmdline")
	t.Logf("kernel command line: %s", cmdline)
	// A live root must not make units fail (fstab, network, …).
	if failed, err := vm.Run(ctx, "systemctl is-system-running --wait >/dev/null; systemctl --failed --no-legend --plain"); err != nil || failed != "" {
		t.Errorf("failed units: %q (%v)", failed, err)
	}
	if t.Failed() {
		t.Logf("console:\n%s", tail(vm.Console()))
	}
}

func tail(s string) string {
	if len(s) > 6000 {
		return s[len(s)-6000:]
	}
	return s
}
