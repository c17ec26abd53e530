package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// cliTemplate is a hammr template file: the reference appliance's OS and
// packages, so that the build reuses the run's cached base.
const cliTemplate = `{
  "stack": {
    "name": "cli-web",
    "version": "1.0",
    "os": {"name": "Debian", "version": "12", "arch": "x86_64", "profile": "Minimal",
           "pkgs": [{"name": "openssh-server"}]},
    "installation": {"diskSize": 2048}
  },
  "builders": [{"type": "QCOW2", "hardwareSettings": {"memory": 1024}}]
}`

// TestE2ECLI drives the kiln binary's client commands against a real server
// that really builds: create a template from a hammr file, build it (QCOW2),
// download the image, regenerate it, delete the template.
func TestE2ECLI(t *testing.T) {
	bin := kilnBinary(t)
	s := startServer(t, bin, t.TempDir(), freePort(t))
	defer s.stop()
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Minute)
	defer cancel()
	dir := t.TempDir()
	kiln := func(args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Env = append(os.Environ(), "KILN_URL="+s.base, "KILN_USER=admin", "KILN_PASSWORD="+adminPassword)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("kiln %s: %v\n%s\n%s", strings.Join(args, " "), err, out, tail(stderr.String()))
		}
		return string(out)
	}
	file := filepath.Join(dir, "web.json")
	if err := os.WriteFile(file, []byte(cliTemplate), 0o644); err != nil {
		t.Fatal(err)
	}
	waitPackageIndex(t, s)
	kiln("template", "create", "--file", file)
	if out := kiln("template", "list"); !strings.Contains(out, "cli-web") {
		t.Fatalf("template list:\n%s", out)
	}
	start := time.Now()
	if out := kiln("template", "build", "--file", file); !strings.Contains(out, "Generation 'QCOW2' ok") {
		t.Fatalf("template build:\n%s", out)
	}
	t.Logf("template build: %v", time.Since(start).Round(time.Second))

	img := filepath.Join(dir, "web.qcow2")
	if out := kiln("image", "download", "--id", "1", "--file", img); !strings.Contains(out, "checksum verified") {
		t.Fatalf("image download:\n%s", out)
	}
	if out, err := exec.Command("qemu-img", "check", "-f", "qcow2", img).CombinedOutput(); err != nil {
		t.Fatalf("qemu-img check: %v\n%s", err, out)
	}
	if info := kiln("image", "info", "--id", "1"); !strings.Contains(info, "Done") || !strings.Contains(info, "QCOW2") {
		t.Errorf("image info:\n%s", info)
	}
	if out := kiln("image", "regenerate", "--id", "1"); !strings.Contains(out, "Generation 'QCOW2' ok") {
		t.Fatalf("image regenerate:\n%s", out)
	}
	if out := kiln("image", "list"); strings.Count(out, "QCOW2") < 2 {
		t.Errorf("image list after regenerate:\n%s", out)
	}
	kiln("template", "delete", "--id", "1", "--no-prompt")
	if out := kiln("template", "list"); strings.Contains(out, "cli-web") {
		t.Errorf("template still listed:\n%s", out)
	}
}

// waitPackageIndex waits until the server has read Debian 12's package index
// from the mirror (at start, in the background): until then, package names
// cannot be checked and templates with packages are refused with a 503.
func waitPackageIndex(t *testing.T, s *server) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		var d struct {
			Distribution struct {
				LastPkgBuildDate string `json:"lastPkgBuildDate"`
			} `json:"distribution"`
		}
		if s.call("GET", "/distributions/2", "", &d) == 200 && d.Distribution.LastPkgBuildDate != "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the package index of Debian 12 was not read in 3 minutes")
		}
		time.Sleep(2 * time.Second)
	}
}
