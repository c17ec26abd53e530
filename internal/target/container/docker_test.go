package container

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/google/go-containerregistry/pkg/v1/validate"
)

// dockerImage is a Docker() artifact and both ways of reading it.
type dockerImage struct {
	path   string
	oci    v1.Image // through index.json (OCI layout side)
	docker v1.Image // through manifest.json (docker load side)
	index  *v1.IndexManifest
}

// buildDocker runs Docker into a file and opens the artifact both ways.
func buildDocker(t *testing.T, in Input) dockerImage {
	t.Helper()
	path := filepath.Join(t.TempDir(), "image.tar")
	f, err := os.Create(path)
	mustOK(t, err)
	if err := Docker(context.Background(), f, in); err != nil {
		t.Fatalf("Docker: %v", err)
	}
	mustOK(t, f.Close())
	dirEmpty(t, in.WorkDir)

	docker, err := tarball.ImageFromPath(path, nil)
	if err != nil {
		t.Fatalf("tarball.ImageFromPath: %v", err)
	}
	dir := t.TempDir()
	extract(t, path, dir)
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		t.Fatalf("layout.ImageIndexFromPath: %v", err)
	}
	im, err := idx.IndexManifest()
	mustOK(t, err)
	if len(im.Manifests) != 1 {
		t.Fatalf("index.json lists %d manifests, want 1", len(im.Manifests))
	}
	oci, err := idx.Image(im.Manifests[0].Digest)
	if err != nil {
		t.Fatalf("layout image: %v", err)
	}
	return dockerImage{path: path, oci: oci, docker: docker, index: im}
}

func TestDocker(t *testing.T) {
	for _, compress := range []bool{false, true} {
		t.Run(fmt.Sprintf("compress=%v", compress), func(t *testing.T) {
			root, owned := fakeRoot(t)
			entry := []string{"/usr/sbin/httpd", "-DFOREGROUND"}
			img := buildDocker(t, Input{Root: root, WorkDir: t.TempDir(), Name: "Web Server", Version: "1.0+b1",
				Entrypoint: entry, Arch: "amd64", Compress: compress, ModTime: testTime})

			// The archive's own members: what docker load and OCI tools look for.
			order, members, gzipped := readArchive(t, img.path)
			if gzipped {
				t.Error("the archive itself is gzipped; only the layer may be")
			}
			for _, want := range []string{"oci-layout", "index.json", "manifest.json", "blobs/sha256/"} {
				if _, ok := members[want]; !ok {
					t.Errorf("archive member %s missing (have %v)", want, order)
				}
			}
			if got := string(members["oci-layout"].data); got != `{"imageLayoutVersion":"1.0.0"}` {
				t.Errorf("oci-layout = %s", got)
			}
			want := map[string]string{
				"io.containerd.image.name":          "docker.io/library/web-server:1.0-b1",
				"org.opencontainers.image.ref.name": "1.0-b1",
			}
			if diff := cmp.Diff(want, img.index.Manifests[0].Annotations); diff != "" {
				t.Errorf("index annotations (-want +got):\n%s", diff)
			}
			dm, err := tarball.LoadManifest(func() (io.ReadCloser, error) { return os.Open(img.path) })
			mustOK(t, err)
			if len(dm) != 1 || !slices.Equal(dm[0].RepoTags, []string{"web-server:1.0-b1"}) {
				t.Errorf("manifest.json = %+v, want one image tagged web-server:1.0-b1", dm)
			}

			for view, im := range map[string]v1.Image{"oci": img.oci, "docker": img.docker} {
				validateImage(t, view, im)
			}
			checkSameImage(t, img, compress)

			// The OCI manifest is the one the index names.
			m, err := img.oci.Manifest()
			mustOK(t, err)
			if d, _ := img.oci.Digest(); d != img.index.Manifests[0].Digest {
				t.Errorf("oci manifest digest %v, index says %v", d, img.index.Manifests[0].Digest)
			}
			wantType := types.OCIUncompressedLayer
			if compress {
				wantType = types.OCILayer
			}
			if m.MediaType != types.OCIManifestSchema1 || m.Config.MediaType != types.OCIConfigJSON || m.Layers[0].MediaType != wantType {
				t.Errorf("media types %s / %s / %s", m.MediaType, m.Config.MediaType, m.Layers[0].MediaType)
			}
			if !compress && m.Layers[0].Digest.Hex == "" {
				t.Error("empty layer digest")
			}
			if blob, ok := members[blobPath(m.Layers[0].Digest)]; !ok || int64(len(blob.data)) != m.Layers[0].Size {
				t.Errorf("layer blob missing or of the wrong size")
			} else if gz := len(blob.data) > 2 && blob.data[0] == 0x1f && blob.data[1] == 0x8b; gz != compress {
				t.Errorf("layer gzipped = %v, want %v", gz, compress)
			}

			cfg, err := img.oci.ConfigFile()
			mustOK(t, err)
			if cfg.Architecture != "amd64" || cfg.OS != "linux" {
				t.Errorf("platform %s/%s, want linux/amd64", cfg.OS, cfg.Architecture)
			}
			if !slices.Equal(cfg.Config.Entrypoint, entry) || cfg.Config.Cmd != nil {
				t.Errorf("entrypoint %q cmd %q, want %q and no cmd", cfg.Config.Entrypoint, cfg.Config.Cmd, entry)
			}
			if !slices.Equal(cfg.Config.Env, []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}) {
				t.Errorf("env = %q", cfg.Config.Env)
			}
			if !cfg.Created.Time.Equal(testTime) || len(cfg.History) != 1 || cfg.History[0].CreatedBy != "kiln" {
				t.Errorf("created %v history %+v", cfg.Created, cfg.History)
			}
			layers, err := img.oci.Layers()
			mustOK(t, err)
			if len(layers) != 1 {
				t.Fatalf("%d layers, want 1", len(layers))
			}
			diffID, err := layers[0].DiffID()
			mustOK(t, err)
			if len(cfg.RootFS.DiffIDs) != 1 || cfg.RootFS.DiffIDs[0] != diffID {
				t.Errorf("diff_ids %v, layer diff id %v", cfg.RootFS.DiffIDs, diffID)
			}

			rc, err := layers[0].Uncompressed()
			mustOK(t, err)
			lorder, lm := layerMembers(t, rc)
			mustOK(t, rc.Close())
			for _, n := range lorder {
				if strings.HasPrefix(n, "/") || strings.HasPrefix(n, "./") {
					t.Errorf("layer member %q is not relative", n)
				}
			}
			checkTreeMembers(t, "", lorder, lm, owned)
			if owned && lm["dev/null"] != nil {
				t.Error("dev/null device node in the layer")
			}

			pushToRegistry(t, img)
		})
	}
}

// validateImage runs ggcr's full validation (every digest, diff id and size
// recomputed from the bytes). validate.Image gunzips every layer blob
// unconditionally, so an uncompressed (OCI ...tar) layer gets the fast
// structural check plus the same digests recomputed here.
func validateImage(t *testing.T, view string, img v1.Image) {
	t.Helper()
	layers, err := img.Layers()
	mustOK(t, err)
	mt, err := layers[0].MediaType()
	mustOK(t, err)
	if mt != types.OCIUncompressedLayer {
		if err := validate.Image(img); err != nil {
			t.Errorf("%s view does not validate: %v", view, err)
		}
		return
	}
	if err := validate.Image(img, validate.Fast); err != nil {
		t.Errorf("%s view does not validate: %v", view, err)
	}
	rc, err := layers[0].Compressed()
	mustOK(t, err)
	h, size, err := v1.SHA256(rc)
	mustOK(t, err)
	mustOK(t, rc.Close())
	m, err := img.Manifest()
	mustOK(t, err)
	cfg, err := img.ConfigFile()
	mustOK(t, err)
	if h != m.Layers[0].Digest || size != m.Layers[0].Size || h != cfg.RootFS.DiffIDs[0] {
		t.Errorf("%s view: uncompressed layer hashes to %v (%d bytes); manifest says %v (%d), diff id %v",
			view, h, size, m.Layers[0].Digest, m.Layers[0].Size, cfg.RootFS.DiffIDs[0])
	}
}

// checkSameImage compares what can be compared between the two views. The
// manifest digests differ by design: ggcr's tarball reader synthesises a
// Docker schema 2 manifest from manifest.json (Docker media types), while
// index.json names the OCI manifest Docker 25+ writes; and it gzips an
// uncompressed layer itself, changing that layer's digest. The config bytes
// and the uncompressed layer are shared, so the config digest and the diff
// ids must agree, and so must the blob digests of a gzipped layer.
func checkSameImage(t *testing.T, img dockerImage, compressed bool) {
	t.Helper()
	oc, err := img.oci.ConfigName()
	mustOK(t, err)
	dc, err := img.docker.ConfigName()
	mustOK(t, err)
	if oc != dc {
		t.Errorf("config digest: oci %v, docker %v", oc, dc)
	}
	om, err := img.oci.Manifest()
	mustOK(t, err)
	dm, err := img.docker.Manifest()
	mustOK(t, err)
	if len(om.Layers) != len(dm.Layers) {
		t.Fatalf("layers: oci %d, docker %d", len(om.Layers), len(dm.Layers))
	}
	ocfg, err := img.oci.ConfigFile()
	mustOK(t, err)
	dcfg, err := img.docker.ConfigFile()
	mustOK(t, err)
	if !slices.Equal(ocfg.RootFS.DiffIDs, dcfg.RootFS.DiffIDs) {
		t.Errorf("diff ids: oci %v, docker %v", ocfg.RootFS.DiffIDs, dcfg.RootFS.DiffIDs)
	}
	for i := range om.Layers {
		if compressed && (om.Layers[i].Digest != dm.Layers[i].Digest || om.Layers[i].Size != dm.Layers[i].Size) {
			t.Errorf("layer %d: oci %v (%d), docker %v (%d)", i,
				om.Layers[i].Digest, om.Layers[i].Size, dm.Layers[i].Digest, dm.Layers[i].Size)
		}
	}
}

// pushToRegistry pushes the OCI view to ggcr's in-process registry and
// pulls it back: the manifest the registry serves is ours, byte for byte.
func pushToRegistry(t *testing.T, img dockerImage) {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	ref, err := name.ParseReference(host+"/kiln/web-server:1.0-b1", name.Insecure)
	mustOK(t, err)
	ctx := context.Background()
	if err := remote.Write(ref, img.oci, remote.WithContext(ctx)); err != nil {
		t.Fatalf("push: %v", err)
	}
	pulled, err := remote.Image(ref, remote.WithContext(ctx))
	mustOK(t, err)
	if d, _ := pulled.Digest(); d != img.index.Manifests[0].Digest {
		t.Errorf("pulled digest %v, archive index says %v", d, img.index.Manifests[0].Digest)
	}
	validateImage(t, "pulled", pulled)
}

func TestDockerDefaults(t *testing.T) {
	root, _ := fakeRoot(t)
	var done, total int64
	img := buildDocker(t, Input{Root: root, WorkDir: t.TempDir(), Name: "", Arch: "arm64",
		Progress: func(d, tot int64) { done, total = d, tot }})
	if done == 0 || done != total {
		t.Errorf("last progress %d of %d, want all of the tree's bytes", done, total)
	}
	cfg, err := img.oci.ConfigFile()
	mustOK(t, err)
	if !slices.Equal(cfg.Config.Cmd, []string{"/bin/bash"}) || cfg.Config.Entrypoint != nil {
		t.Errorf("no entrypoint given: cmd %q entrypoint %q, want cmd /bin/bash", cfg.Config.Cmd, cfg.Config.Entrypoint)
	}
	if cfg.Architecture != "arm64" || cfg.Variant != "v8" {
		t.Errorf("arch %s variant %s, want arm64 v8", cfg.Architecture, cfg.Variant)
	}
	if got := img.index.Manifests[0].Annotations["io.containerd.image.name"]; got != "docker.io/library/kiln-image:latest" {
		t.Errorf("default name %q", got)
	}
	if since := time.Since(cfg.Created.Time); since < 0 || since > time.Minute {
		t.Errorf("zero ModTime: created = %v, want now", cfg.Created.Time)
	}
}

// TestDockerReproducible builds the same tree twice: with a fixed ModTime
// the image, compressed layer included, is bit for bit the same.
func TestDockerReproducible(t *testing.T) {
	root, _ := fakeRoot(t)
	in := Input{Root: root, WorkDir: t.TempDir(), Name: "web", Compress: true, ModTime: testTime}
	a := buildDocker(t, in)
	b := buildDocker(t, in)
	if a.index.Manifests[0].Digest != b.index.Manifests[0].Digest {
		t.Errorf("two builds differ: %v and %v", a.index.Manifests[0].Digest, b.index.Manifests[0].Digest)
	}
}

func TestDockerCancelLeavesNoFile(t *testing.T) {
	root, _ := fakeRoot(t)
	work := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Cancel as soon as archiving starts: the layer file exists by then.
	in := Input{Root: root, WorkDir: work, Name: "web", Compress: true, Progress: func(int64, int64) { cancel() }}
	var out strings.Builder
	err := Docker(ctx, &out, in)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Docker after cancel = %v, want context.Canceled", err)
	}
	dirEmpty(t, work)

	if err := Docker(ctx, &out, in); !errors.Is(err, context.Canceled) {
		t.Fatalf("Docker with a cancelled context = %v", err)
	}
	dirEmpty(t, work)
}

func TestDockerBadInput(t *testing.T) {
	root, _ := fakeRoot(t)
	work := t.TempDir()
	for name, in := range map[string]Input{
		"no root":      {WorkDir: work},
		"missing root": {Root: filepath.Join(root, "nope"), WorkDir: work},
		"bad arch":     {Root: root, WorkDir: work, Arch: "pdp11"},
		"no work dir":  {Root: root, WorkDir: filepath.Join(work, "nope")},
		"empty work":   {Root: root},
	} {
		var out strings.Builder
		if err := Docker(context.Background(), &out, in); err == nil {
			t.Errorf("%s: Docker succeeded", name)
		}
	}
	dirEmpty(t, work)
}
