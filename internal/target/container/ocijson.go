package container

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// defaultPath is the PATH Docker's Debian images set.
const defaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// blob is a small JSON document stored under blobs/sha256 by its digest.
type blob struct {
	data   []byte
	digest v1.Hash
}

func jsonBlob(v any) (blob, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return blob{}, fmt.Errorf("encode %T: %w", v, err)
	}
	return blob{data: data, digest: v1.Hash{Algorithm: "sha256", Hex: fmt.Sprintf("%x", sha256.Sum256(data))}}, nil
}

func (b blob) path() string { return blobPath(b.digest) }

func blobPath(h v1.Hash) string { return "blobs/" + h.Algorithm + "/" + h.Hex }

// imageConfig is the OCI image configuration of the one-layer image.
func imageConfig(in prepared, l *layer) v1.ConfigFile {
	cfg := v1.Config{Env: []string{defaultPath}}
	if len(in.Entrypoint) > 0 {
		cfg.Entrypoint = in.Entrypoint
	} else {
		// No entrypoint: an interactive shell, as `docker run -it` expects.
		cfg.Cmd = []string{"/bin/bash"}
	}
	created := v1.Time{Time: in.created}
	return v1.ConfigFile{
		Architecture: in.plat.ociArch,
		Variant:      in.plat.ociVariant,
		OS:           "linux",
		Created:      created,
		History:      []v1.History{{Created: created, CreatedBy: "kiln", Comment: "root filesystem of " + in.Name}},
		RootFS:       v1.RootFS{Type: "layers", DiffIDs: []v1.Hash{l.diffID}},
		Config:       cfg,
	}
}

func imageManifest(config blob, l *layer) v1.Manifest {
	return v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		Config:        v1.Descriptor{MediaType: types.OCIConfigJSON, Size: int64(len(config.data)), Digest: config.digest},
		Layers:        []v1.Descriptor{{MediaType: l.mediaType, Size: l.size, Digest: l.digest}},
	}
}

// imageIndex is the OCI layout's index.json, annotated as Docker 25+
// `docker save` does: containerd's full image name, and the tag as the OCI
// ref.name.
func imageIndex(manifest blob, ref imageRef) v1.IndexManifest {
	return v1.IndexManifest{
		SchemaVersion: 2,
		MediaType:     types.OCIImageIndex,
		Manifests: []v1.Descriptor{{
			MediaType: types.OCIManifestSchema1,
			Size:      int64(len(manifest.data)),
			Digest:    manifest.digest,
			Annotations: map[string]string{
				"io.containerd.image.name":          ref.containerd(),
				"org.opencontainers.image.ref.name": ref.tag,
			},
		}},
	}
}

// dockerManifestEntry is one image of the manifest.json that `docker load`
// reads (the legacy docker-save format).
type dockerManifestEntry struct {
	Config   string
	RepoTags []string
	Layers   []string
}

// ociLayout is the oci-layout marker file.
type ociLayout struct {
	ImageLayoutVersion string `json:"imageLayoutVersion"`
}
