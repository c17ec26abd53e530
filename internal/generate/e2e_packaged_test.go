package generate_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kilnhq/kiln/internal/qemutest"
)

// TestE2EPackagedArtifacts takes the reference appliance through the
// pipeline as an OVA and as a Vagrant box, unpacks both with GNU tar as their
// consumers would, checks what a hypervisor checks (the manifest's SHA-256,
// the disk), and boots the box's disk to log in as the vagrant user.
func TestE2EPackagedArtifacts(t *testing.T) {
	eng := e2eEngine(t)
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Minute)
	defer cancel()

	t.Run("OVA", func(t *testing.T) {
		s := referenceSpec(t)
		s.Output.Format = "OVF or OVA"
		res, err := eng.Run(ctx, planned(t, s), t.TempDir(), nil)
		if err != nil {
			t.Fatal(err)
		}
		dir, names := untarFile(t, res.Path)
		if len(names) != 3 || !strings.HasSuffix(names[0], ".ovf") || !strings.HasSuffix(names[1], ".mf") || !strings.HasSuffix(names[2], ".vmdk") {
			t.Fatalf("OVA members %v: want .ovf, .mf, .vmdk in that order", names)
		}
		mf, err := os.ReadFile(filepath.Join(dir, names[1]))
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{names[0], names[2]} {
			want := "SHA256(" + name + ")= " + sha256File(t, filepath.Join(dir, name))
			if !strings.Contains(string(mf), want) {
				t.Errorf("manifest lacks %q:\n%s", want, mf)
			}
		}
		ovf, err := os.ReadFile(filepath.Join(dir, names[0]))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(ovf), `ovf:href="`+names[2]+`"`) || !strings.Contains(string(ovf), "streamOptimized") {
			t.Errorf("OVF descriptor does not reference the streamOptimized disk:\n%s", ovf)
		}
		qemuImg(t, "check", "-f", "vmdk", filepath.Join(dir, names[2]))
	})

	t.Run("Vagrant box boots", func(t *testing.T) {
		s := referenceSpec(t)
		s.Output.Format = "Vagrant Base Box"
		res, err := eng.Run(ctx, planned(t, s), t.TempDir(), nil)
		if err != nil {
			t.Fatal(err)
		}
		dir, names := untarFile(t, res.Path)
		if strings.Join(names, ",") != "metadata.json,Vagrantfile,box.ovf,box-disk001.vmdk" {
			t.Fatalf("box members %v", names)
		}
		disk := filepath.Join(dir, "box-disk001.vmdk")
		qemuImg(t, "check", "-f", "vmdk", disk)
		vm, err := qemutest.Boot(ctx, qemutest.Options{Image: disk, Format: "vmdk", Firmware: qemutest.BIOS,
			Snapshot: true, Timeout: 15 * time.Minute, ConsoleLog: filepath.Join(t.TempDir(), "console.log")})
		if err != nil {
			t.Fatal(err)
		}
		defer vm.Close()
		if err := vm.Login(ctx, "vagrant", "vagrant"); err != nil {
			t.Fatalf("%v\nconsole:\n%s", err, tail(vm.Console()))
		}
		out, err := vm.Run(ctx, "sudo -n id -u; grep -c 'vagrant insecure public key' ~/.ssh/authorized_keys")
		if err != nil {
			t.Fatal(err)
		}
		if f := strings.Fields(out); len(f) != 2 || f[0] != "0" || f[1] != "1" {
			t.Errorf("vagrant user: passwordless sudo and the insecure key expected, got %q", out)
		}
	})
}

// untarFile extracts an archive (gzip'd or not) with GNU tar and returns the
// directory and the member names in archive order.
func untarFile(t *testing.T, archive string) (string, []string) {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("tar", "-xf", archive, "-C", dir).CombinedOutput(); err != nil {
		t.Fatalf("tar -x %s: %v\n%s", filepath.Base(archive), err, out)
	}
	out, err := exec.Command("tar", "-tf", archive).Output()
	if err != nil {
		t.Fatalf("tar -t: %v", err)
	}
	return dir, strings.Fields(string(out))
}

func sha256File(t *testing.T, p string) string {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}
