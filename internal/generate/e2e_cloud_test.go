package generate_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kilnhq/kiln/internal/qemutest"
)

// TestE2ECloudFirstBoot builds the reference appliance as an OpenStack QCOW2
// and starts it the way a cloud does: on a disk larger than the image, with
// an OpenStack config drive. cloud-init must take the hostname from the
// metadata and the root filesystem must grow to the disk. The other cloud
// formats differ only by their datasource list (unit-tested) and disk writer
// (boot-tested in TestE2EFormatFamiliesBoot).
func TestE2ECloudFirstBoot(t *testing.T) {
	eng := e2eEngine(t)
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Minute)
	defer cancel()
	s := referenceSpec(t)
	s.Output.Format = "OpenStack QCOW2"
	res, err := eng.Run(ctx, planned(t, s), t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(res.Path, ".qcow2") {
		t.Fatalf("artifact %s is not a .qcow2", res.Path)
	}
	qemuImg(t, "check", "-f", "qcow2", res.Path)
	// The instance's disk is 1 GiB larger than the image, as a flavor's would be.
	qemuImg(t, "resize", "-f", "qcow2", res.Path, "+1G")

	drive := configDrive(t, "cloudy-1", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDwnto+7UVMHlu6jY3uHe2e3WWElOOxKjBAJB0ee/Oea cloud@test")
	start := time.Now()
	vm, err := qemutest.Boot(ctx, qemutest.Options{Image: res.Path, Format: "qcow2", Firmware: qemutest.BIOS,
		CDROM: drive, Timeout: 15 * time.Minute, ConsoleLog: filepath.Join(t.TempDir(), "console.log")})
	if err != nil {
		t.Fatal(err)
	}
	defer vm.Close()
	if err := vm.Login(ctx, "root", "kiln"); err != nil {
		t.Fatalf("%v\nconsole:\n%s", err, tail(vm.Console()))
	}
	t.Logf("cloud image: logged in after %v", time.Since(start).Round(time.Second))
	status, err := vm.Run(ctx, "cloud-init status --wait >/dev/null; cloud-init status --long | grep -E '^(status|detail)'; hostname")
	if err != nil {
		t.Fatal(err)
	}
	// The hostname comes from the metadata, not from the install profile.
	if !strings.Contains(status, "status: done") || !strings.Contains(status, "ConfigDrive") || !strings.HasSuffix(status, "cloudy-1") {
		t.Errorf("cloud-init status and hostname:\n%s", status)
	}
	size, err := vm.Run(ctx, "df -B1 --output=size / | tail -n1")
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.ParseInt(strings.TrimSpace(size), 10, 64)
	if err != nil {
		t.Fatalf("df: %q", size)
	}
	// The image's root is ≈ 2 GiB minus the ESP; grown, it is ≈ 3 GiB.
	if n < 2800<<20 {
		t.Errorf("root filesystem is %d MiB: it did not grow to the 3 GiB disk", n>>20)
	}
	keys, err := vm.Run(ctx, "cat /home/debian/.ssh/authorized_keys /root/.ssh/authorized_keys 2>/dev/null | grep -c cloud@test")
	if err != nil || strings.TrimSpace(keys) == "0" {
		t.Errorf("the metadata's SSH key was not installed (%v): %q", err, keys)
	}
}

// configDrive writes an OpenStack config drive: an ISO labelled config-2
// holding openstack/latest/meta_data.json.
func configDrive(t *testing.T, hostname, key string) string {
	t.Helper()
	dir := t.TempDir()
	md := filepath.Join(dir, "openstack", "latest")
	if err := os.MkdirAll(md, 0o755); err != nil {
		t.Fatal(err)
	}
	meta := `{"uuid": "0b8cfa3a-9f3e-4a5c-8f5e-6f1d2b3c4d5e", "hostname": "` + hostname + `", "name": "` + hostname +
		`", "public_keys": {"test": "` + key + `"}}`
	if err := os.WriteFile(filepath.Join(md, "meta_data.json"), []byte(meta), 0o644); err != nil {
		t.Fatal(err)
	}
	iso := filepath.Join(t.TempDir(), "config-drive.iso")
	out, err := exec.Command("xorriso", "-as", "mkisofs", "-quiet", "-V", "config-2", "-J", "-R", "-o", iso, dir).CombinedOutput()
	if err != nil {
		t.Fatalf("xorriso: %v\n%s", err, out)
	}
	return iso
}
