package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
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
)

// customFiles are what the "source machine" has beyond its packages: an
// application under /opt, its configuration under /etc, a user's file, and a
// modified conffile (/etc/issue belongs to base-files).
var customFiles = map[string]struct {
	content string
	mode    os.FileMode
}{
	"/etc/kiln-app/app.conf":             {"listen = 0.0.0.0:8080\nworkers = 4\n", 0o640},
	"/opt/kiln-app/bin/run.sh":           {"#!/bin/sh\nexec echo kiln-app running\n", 0o755},
	"/home/ops/notes.txt":                {"migrated with kiln scan\n", 0o600},
	"/etc/issue":                         {"Source machine, migrated by Kiln \\n \\l\n\n", 0o644},
	"/etc/ssh/sshd_config.d/source.conf": {"# from the source machine\nMaxAuthTries 4\n", 0o644},
}

// sourceMachine builds the root of a Debian 12 "machine" to scan: the
// reference package set plus less, configured with a user, then customised.
func sourceMachine(t *testing.T, ctx context.Context) string {
	t.Helper()
	s, err := examples.Reference()
	if err != nil {
		t.Fatal(err)
	}
	s.Packages = append(s.Packages, spec.Package{Name: "less"})
	s.Install.Hostname = "source-host"
	mirrors, err := distro.LoadMirrors("/", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	srcs, err := mirrors.Sources("12")
	if err != nil {
		t.Fatal(err)
	}
	pl, err := plan.New(s, plan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	req := rootfs.Request{Distribution: "debian", Codename: "bookworm", Arch: "amd64", Variant: "minbase", Packages: pl.Packages}
	for _, src := range srcs {
		req.Sources = append(req.Sources, rootfs.Source{URI: src.URI, Suite: src.Suite, Components: src.Components})
	}
	rb, err := rootfs.New(sharedCache(), 20<<30, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(t.TempDir(), "source")
	if _, err := rb.Prepare(ctx, req, root, nil); err != nil {
		t.Fatal(err)
	}
	if err := configure.Apply(ctx, root, s.Install); err != nil {
		t.Fatal(err)
	}
	for p, f := range customFiles {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		os.Remove(full) // never write through a hard link into the base cache
		if err := os.WriteFile(full, []byte(f.content), f.mode); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := exec.Command("chroot", root, "chown", "ops:ops", "/home/ops/notes.txt").CombinedOutput(); err != nil {
		t.Fatalf("chown: %v %s", err, out)
	}
	return root
}

// TestE2EScanMigration migrates a machine: kiln scan --root against a running
// server, a VirtualBox and a QCOW2 image generated from the scan, the QCOW2
// booted to prove the custom files, the user and the packages came along.
func TestE2EScanMigration(t *testing.T) {
	bin := kilnBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Minute)
	defer cancel()
	root := sourceMachine(t, ctx)
	s := startServer(t, bin, t.TempDir(), freePort(t))
	defer s.stop()

	// The agent is served without credentials, under both names.
	for _, name := range []string{"uforge-scan.bin", "kiln-scan"} {
		resp, err := http.Get(strings.TrimSuffix(s.base, "/api") + "/resources/" + name)
		if err != nil || resp.StatusCode != 200 || resp.ContentLength <= 0 {
			t.Fatalf("GET /resources/%s: %v %v", name, err, resp)
		}
		resp.Body.Close()
	}

	start := time.Now()
	out, err := exec.CommandContext(ctx, bin, "scan", "--root", root, "-u", "admin", "-p", adminPassword,
		"-U", s.base, "-n", "source-1", "-o").CombinedOutput()
	if err != nil {
		t.Fatalf("kiln scan: %v\n%s", err, out)
	}
	t.Logf("kiln scan took %v:\n%s", time.Since(start).Round(time.Second), tail(string(out)))

	// JSON lists come wrapped, as UForge sends them: {"scans":{"scan":[…]}}.
	var insts struct {
		ScannedInstances struct {
			ScannedInstances struct {
				ScannedInstance []struct {
					DBID  int64 `json:"dbId"`
					Scans struct {
						Scan []struct {
							DBID   int64  `json:"dbId"`
							Status status `json:"status"`
						} `json:"scan"`
					} `json:"scans"`
				} `json:"scannedInstance"`
			} `json:"scannedInstances"`
		} `json:"scannedInstances"`
	}
	s.call("GET", "/users/admin/scannedinstances?name=source-1&includeScans=true", "", &insts)
	list := insts.ScannedInstances.ScannedInstances.ScannedInstance
	if len(list) != 1 || len(list[0].Scans.Scan) != 1 || !list[0].Scans.Scan[0].Status.Complete {
		t.Fatalf("scanned instances: %+v", insts)
	}
	scanPath := fmt.Sprintf("/users/admin/scannedinstances/%d/scans/%d", list[0].DBID, list[0].Scans.Scan[0].DBID)

	generate := func(body string) image {
		var out struct{ Image image }
		if code := s.call("POST", scanPath+"/images", body, &out); code != 201 {
			t.Fatalf("generate from scan: %d", code)
		}
		if !strings.HasPrefix(out.Image.URI, strings.TrimPrefix(scanPath, "/")+"/images/") {
			t.Fatalf("scan image uri %q", out.Image.URI)
		}
		return out.Image
	}
	// The seed's request (contract §4.1), with the disk size hammr requires.
	vbox := generate(`{"image":{"compress":true,"targetFormat":{"name":"VirtualBox"},"installProfile":{"memorySize":512,"diskSize":3072}}}`)
	if st := s.poll(vbox, 45*time.Minute, status.terminal); !st.Complete {
		t.Fatalf("VirtualBox from the scan: %+v", st)
	}
	qcow := generate(`{"image":{"compress":true,"targetFormat":{"name":"QCOW2"},"installProfile":{"memorySize":1024,"diskSize":3072}}}`)
	st := s.poll(qcow, 20*time.Minute, status.terminal)
	if !st.Complete {
		t.Fatalf("QCOW2 from the scan: %+v", st)
	}
	t.Logf("QCOW2 from the scan: %s", st.Message)

	var fidelity struct {
		Files struct {
			Compared, Same int
			Missing        []string
			Differing      []struct{ Path, What, Source, Image string }
		}
		Packages struct {
			Compared, Same int
			Missing        []string
		}
	}
	if code := s.call("GET", "/"+qcow.URI+"/fidelity", "", &fidelity); code != 200 {
		t.Fatalf("fidelity: %d", code)
	}
	if fidelity.Files.Compared == 0 || len(fidelity.Files.Missing) > 0 || fidelity.Packages.Same != fidelity.Packages.Compared {
		t.Errorf("fidelity: %+v", fidelity)
	}
	for _, d := range fidelity.Files.Differing {
		t.Logf("differs: %+v", d)
	}
	// The same report from the CLI.
	cli := exec.CommandContext(ctx, bin, "image", "fidelity", "--id", fmt.Sprint(qcow.DBID))
	cli.Env = append(os.Environ(), "KILN_URL="+s.base, "KILN_USER=admin", "KILN_PASSWORD="+adminPassword)
	if out, err := cli.CombinedOutput(); err != nil || !strings.Contains(string(out), fmt.Sprintf("%d of %d scanned files identical", fidelity.Files.Same, fidelity.Files.Compared)) {
		t.Errorf("kiln image fidelity: %v\n%s", err, out)
	}

	var got struct{ Image image }
	s.call("GET", "/"+qcow.URI, "", &got)
	file := filepath.Join(t.TempDir(), "scan.qcow2")
	download(t, s.base+"/"+got.Image.DownloadURI, file)

	vm, err := qemutest.Boot(ctx, qemutest.Options{Image: file, Format: "qcow2", Firmware: qemutest.BIOS, Snapshot: true,
		Timeout: 15 * time.Minute, ConsoleLog: filepath.Join(t.TempDir(), "console.log")})
	if err != nil {
		t.Fatal(err)
	}
	defer vm.Close()
	if err := vm.Login(ctx, "root", "kiln"); err != nil {
		t.Fatalf("%v\n%s", err, tail(vm.Console()))
	}
	var paths []string
	for p := range customFiles {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	sums, err := vm.Run(ctx, "sha256sum "+strings.Join(paths, " "))
	if err != nil {
		t.Fatalf("sha256sum in the image: %v\n%s", err, sums)
	}
	for _, p := range paths {
		want := sha256.Sum256([]byte(customFiles[p].content))
		if !strings.Contains(sums, hex.EncodeToString(want[:])+"  "+p) {
			t.Errorf("%s: not the source's content in the image:\n%s", p, sums)
		}
	}
	// The user, its file's owner and its sudo rule (a file of the overlay) came along.
	if who, err := vm.Run(ctx, "stat -c %U:%a /home/ops/notes.txt; sudo -l -U ops"); err != nil || !strings.Contains(who, "ops:600") || !strings.Contains(who, "NOPASSWD: ALL") {
		t.Errorf("user ops in the image: %v %q", err, who)
	}
	imagePkgs, err := vm.Run(ctx, "dpkg-query -W -f '${Package}=${Version}\\n' | sort")
	if err != nil {
		t.Fatal(err)
	}
	srcPkgs, err := exec.Command("dpkg-query", "--admindir="+root+"/var/lib/dpkg", "-W", "-f", "${Package}=${Version}\n").Output()
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Fields(string(srcPkgs))
	sort.Strings(lines)
	if strings.Join(lines, "\n") != strings.TrimSpace(imagePkgs) {
		t.Errorf("package sets differ:\nsource %d packages, image %d", len(lines), len(strings.Fields(imagePkgs)))
	}
}

func download(t *testing.T, url, dst string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("download %s: %v %v", url, err, resp)
	}
	defer resp.Body.Close()
	f, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := io.Copy(f, resp.Body); err != nil {
		t.Fatal(err)
	}
}
