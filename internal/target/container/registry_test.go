package container

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/kilnhq/kiln/internal/testenv"
)

const debianRegistry = "/usr/bin/docker-registry"

// startDebianRegistry runs Debian's docker-registry (distribution 2.8) on a
// free loopback port with its storage in a temporary directory, and kills
// it when the test ends. Without the binary the test is skipped, unless
// KILN_E2E=1 says this machine must have it.
func startDebianRegistry(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat(debianRegistry); err != nil {
		testenv.Missing(t, testenv.E2E(), "%s not installed (apt-get install docker-registry): %v", debianRegistry, err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	mustOK(t, err)
	addr := l.Addr().String()
	mustOK(t, l.Close())

	dir := t.TempDir()
	config := filepath.Join(dir, "config.yml")
	mustOK(t, os.WriteFile(config, []byte(fmt.Sprintf(`version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: %s
http:
  addr: %s
`, filepath.Join(dir, "data"), addr)), 0o600))

	cmd := exec.Command(debianRegistry, "serve", config)
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	mustOK(t, cmd.Start())
	pid := cmd.Process.Pid
	t.Cleanup(func() {
		// Only the process started above, by its id.
		if p, err := os.FindProcess(pid); err == nil {
			p.Kill()
		}
		cmd.Wait()
		if t.Failed() {
			t.Logf("docker-registry output:\n%s", logs.String())
		}
	})

	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return addr
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("docker-registry did not answer on %s: %v\n%s", addr, err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestDebianRegistryRoundTrip pushes the image read back from a Docker()
// archive to a real registry implementation and pulls it by tag: the
// registry must serve the manifest index.json names and the layer and
// config blobs the archive's manifest lists.
func TestDebianRegistryRoundTrip(t *testing.T) {
	addr := startDebianRegistry(t)
	root, _ := fakeRoot(t)
	img := buildDocker(t, Input{Root: root, WorkDir: t.TempDir(), Name: "web", Version: "2.0",
		Entrypoint: []string{"/bin/sh", "-c", "sleep infinity"}, Compress: true, ModTime: testTime})

	ref, err := name.NewTag(addr+"/kiln/web:2.0", name.Insecure)
	mustOK(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := remote.Write(ref, img.oci, remote.WithContext(ctx)); err != nil {
		t.Fatalf("push to docker-registry: %v", err)
	}

	desc, err := remote.Get(ref, remote.WithContext(ctx))
	if err != nil {
		t.Fatalf("pull by tag: %v", err)
	}
	if desc.Digest != img.index.Manifests[0].Digest {
		t.Errorf("registry manifest digest %v, index.json says %v", desc.Digest, img.index.Manifests[0].Digest)
	}
	pulled, err := desc.Image()
	mustOK(t, err)
	got, err := pulled.Manifest()
	mustOK(t, err)
	want, err := img.oci.Manifest()
	mustOK(t, err)
	if got.Config.Digest != want.Config.Digest || len(got.Layers) != len(want.Layers) {
		t.Fatalf("pulled manifest %+v, archive has %+v", got, want)
	}
	for i := range want.Layers {
		if got.Layers[i].Digest != want.Layers[i].Digest {
			t.Errorf("layer %d: pulled %v, archive %v", i, got.Layers[i].Digest, want.Layers[i].Digest)
		}
	}
	validateImage(t, "pulled from docker-registry", pulled)
}
