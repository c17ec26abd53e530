package generate_test

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"go.yaml.in/yaml/v3"

	"github.com/kilnhq/kiln/internal/spec"
)

// containerSpec is the reference appliance without the packages only a
// bootable machine needs, as the API builds it for a container format.
func containerSpec(t *testing.T, format string) *spec.Spec {
	s := referenceSpec(t)
	s.Packages = slices.DeleteFunc(s.Packages, func(p spec.Package) bool {
		return p.Name == "linux-image-amd64" || p.Name == "systemd-sysv"
	})
	s.Output.Format = format
	return s
}

// TestE2EContainers takes the reference appliance through the pipeline as a
// Docker image and as an LXC container: the archives open with their
// consumers' readers, hold the configured system without a kernel, and the
// system runs (chroot) as the install profile made it.
func TestE2EContainers(t *testing.T) {
	eng := e2eEngine(t)
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Minute)
	defer cancel()

	t.Run("Docker", func(t *testing.T) {
		s := containerSpec(t, "Docker")
		s.Output.Compress = true
		s.Output.Entrypoint = `["/usr/sbin/sshd","-D"]`
		res, err := eng.Run(ctx, planned(t, s), t.TempDir(), nil)
		if err != nil {
			t.Fatal(err)
		}
		img, err := tarball.ImageFromPath(res.Path, nil)
		if err != nil {
			t.Fatalf("docker load view: %v", err)
		}
		cfg, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(cfg.Config.Entrypoint, " ") != "/usr/sbin/sshd -D" || cfg.OS != "linux" || cfg.Architecture != "amd64" {
			t.Errorf("config: entrypoint %q, %s/%s", cfg.Config.Entrypoint, cfg.OS, cfg.Architecture)
		}
		layers, err := img.Layers()
		if err != nil || len(layers) != 1 {
			t.Fatalf("layers %d, %v", len(layers), err)
		}
		rc, err := layers[0].Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		root := t.TempDir()
		untarStream(t, rc, root)
		checkContainerRoot(t, root)
		t.Logf("Docker image: %d MiB", res.Size>>20)
	})

	t.Run("LXC", func(t *testing.T) {
		s := containerSpec(t, "LXC Container")
		s.Output.Compress = true
		res, err := eng.Run(ctx, planned(t, s), t.TempDir(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(res.Path, ".tar.gz") {
			t.Fatalf("artifact %s: a compressed LXC image is a .tar.gz", res.Path)
		}
		dir, _ := untarFile(t, res.Path)
		meta, err := os.ReadFile(filepath.Join(dir, "metadata.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		var m struct {
			Architecture string `yaml:"architecture"`
			CreationDate int64  `yaml:"creation_date"`
		}
		if err := yaml.Unmarshal(meta, &m); err != nil || m.Architecture != "x86_64" || m.CreationDate == 0 {
			t.Errorf("metadata.yaml (%v):\n%s", err, meta)
		}
		root := filepath.Join(dir, "rootfs")
		checkContainerRoot(t, root)
		// A system container runs its own init and configures its NIC.
		if _, err := os.Stat(filepath.Join(root, "sbin/init")); err != nil {
			t.Errorf("no init in the LXC root: %v", err)
		}
		if b, err := os.ReadFile(filepath.Join(root, "etc/network/interfaces")); err != nil || !strings.Contains(string(b), "inet dhcp") {
			t.Errorf("LXC network configuration (%v):\n%s", err, b)
		}
	})
}

// checkContainerRoot runs the container's own binaries on its root (chroot):
// the install profile's user exists with its groups, the time zone is set,
// and no kernel was installed.
func checkContainerRoot(t *testing.T, root string) {
	t.Helper()
	out, err := exec.Command("chroot", root, "/usr/bin/sudo", "-l", "-U", "ops").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "NOPASSWD: ALL") {
		t.Errorf("chroot sudo -l -U ops: %v: %s", err, out)
	}
	if link, err := os.Readlink(filepath.Join(root, "etc/localtime")); err != nil || !strings.HasSuffix(link, "Europe/Paris") {
		t.Errorf("/etc/localtime -> %q (%v)", link, err)
	}
	kernels, _ := filepath.Glob(filepath.Join(root, "boot/vmlinuz*"))
	if len(kernels) > 0 {
		t.Errorf("a container carries a kernel: %v", kernels)
	}
	out, err = exec.Command("chroot", root, "dpkg-query", "-W", "-f", "${Package}\n").Output()
	if err != nil {
		t.Fatalf("dpkg-query: %v", err)
	}
	for _, p := range strings.Fields(string(out)) {
		if strings.HasPrefix(p, "linux-image") || p == "grub-pc" || p == "initramfs-tools" {
			t.Errorf("container has package %s", p)
		}
	}
	if entries, _ := os.ReadDir(filepath.Join(root, "dev")); len(entries) != 0 {
		t.Errorf("/dev of the container image is not empty: %d entries", len(entries))
	}
}

// untarStream extracts a tar stream with GNU tar, keeping owners and modes.
func untarStream(t *testing.T, r io.Reader, dir string) {
	t.Helper()
	cmd := exec.Command("tar", "--numeric-owner", "-xpf", "-", "-C", dir)
	cmd.Stdin = r
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("tar -x: %v\n%s", err, out)
	}
}
