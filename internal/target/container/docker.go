package container

import (
	"archive/tar"
	"bufio"
	"context"
	"fmt"
	"io"
)

// Docker writes the image as one tar archive that is at once an OCI image
// layout and a `docker load` archive, exactly the shape Docker 25+
// `docker save` produces: oci-layout, index.json, manifest.json and
// blobs/sha256/ holding the config, the manifest and the single layer.
//
// The layer is the root tree minus what a container must not carry
// (tartree.ContainerExclude). It is staged in in.WorkDir, hashed in the same
// pass, and then streamed into dst; the staged file is removed on every
// exit. The small JSON members come first and the layer last, so a reader
// that streams the archive knows the image before the bulk arrives.
// dst is not closed.
func Docker(ctx context.Context, dst io.Writer, in Input) error {
	p, err := prepare(in)
	if err != nil {
		return err
	}
	ref := newImageRef(p.Name, p.Version)

	l, err := stageLayer(ctx, p)
	if err != nil {
		return fmt.Errorf("docker image layer: %w", err)
	}
	defer l.remove()

	config, err := jsonBlob(imageConfig(p, l))
	if err != nil {
		return err
	}
	manifest, err := jsonBlob(imageManifest(config, l))
	if err != nil {
		return err
	}
	index, err := jsonBlob(imageIndex(manifest, ref))
	if err != nil {
		return err
	}
	dockerManifest, err := jsonBlob([]dockerManifestEntry{{
		Config:   config.path(),
		RepoTags: []string{ref.short()},
		Layers:   []string{blobPath(l.digest)},
	}})
	if err != nil {
		return err
	}
	layout, err := jsonBlob(ociLayout{ImageLayoutVersion: "1.0.0"})
	if err != nil {
		return err
	}

	bw := bufio.NewWriterSize(dst, ioBuf)
	a := archiveWriter{tw: tar.NewWriter(bw), mtime: p.created}
	a.file("oci-layout", layout.data)
	a.file("index.json", index.data)
	a.file("manifest.json", dockerManifest.data)
	a.dir("blobs/")
	a.dir("blobs/sha256/")
	a.file(config.path(), config.data)
	a.file(manifest.path(), manifest.data)
	if a.err != nil {
		return fmt.Errorf("docker archive: %w", a.err)
	}
	if err := a.tw.WriteHeader(a.header(blobPath(l.digest), l.size)); err != nil {
		return fmt.Errorf("docker archive: layer header: %w", err)
	}
	if err := l.copyTo(ctx, a.tw); err != nil {
		return fmt.Errorf("docker archive: %w", err)
	}
	if err := a.tw.Close(); err != nil {
		return fmt.Errorf("docker archive: finish tar: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("docker archive: write: %w", err)
	}
	return nil
}
