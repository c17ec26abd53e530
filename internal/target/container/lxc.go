package container

import (
	"archive/tar"
	"bufio"
	"context"
	"fmt"
	"io"

	"github.com/klauspost/pgzip"

	"github.com/kilnhq/kiln/internal/tartree"
)

// LXC writes the image as an LXD/Incus "unified tarball": metadata.yaml,
// templates/ and rootfs/ in one tar, gzipped on all cores when
// in.Compress. It is the format `incus image import FILE --alias NAME` and
// `lxc image import` take as a single file, and the one distrobuilder and
// the public image servers publish; the older split form (metadata tarball
// plus a separate rootfs) would make the image two artifacts, and the
// legacy LXC template format needs lxc-create scripts on the host.
//
// /etc/hostname and /etc/hosts are LXD templates rendered from the instance
// name on create and copy, so every container gets its own host name.
// dst is not closed.
func LXC(ctx context.Context, dst io.Writer, in Input) error {
	p, err := prepare(in)
	if err != nil {
		return err
	}
	meta, err := lxdMetadataYAML(p)
	if err != nil {
		return err
	}

	bw := bufio.NewWriterSize(dst, ioBuf)
	var out io.Writer = bw
	var gz *pgzip.Writer
	if p.Compress {
		if gz, err = newParallelGzip(bw); err != nil {
			return fmt.Errorf("lxc image: %w", err)
		}
		// Stop the compressor's goroutines on every path; after a
		// successful Close below this is a no-op.
		defer gz.Close()
		out = gz
	}

	a := archiveWriter{tw: tar.NewWriter(out), mtime: p.created}
	a.file("metadata.yaml", meta)
	a.dir("templates/")
	for _, t := range lxdTemplates() {
		a.file("templates/"+t.file, []byte(t.body))
	}
	if a.err != nil {
		return fmt.Errorf("lxc image: %w", a.err)
	}
	opts := tartree.Options{
		Prefix:   "rootfs/",
		Exclude:  tartree.ContainerExclude,
		ModTime:  p.created,
		Progress: p.Progress,
	}
	if _, err := tartree.Append(ctx, a.tw, p.Root, opts); err != nil {
		return fmt.Errorf("lxc image: archive root tree: %w", err)
	}
	if err := a.tw.Close(); err != nil {
		return fmt.Errorf("lxc image: finish tar: %w", err)
	}
	if gz != nil {
		if err := gz.Close(); err != nil {
			return fmt.Errorf("lxc image: compress: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("lxc image: write: %w", err)
	}
	return nil
}
