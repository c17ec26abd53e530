package container

import (
	"bufio"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/klauspost/pgzip"

	"github.com/kilnhq/kiln/internal/tartree"
)

// layer is the root tree as one staged layer blob.
type layer struct {
	file      *os.File
	diffID    v1.Hash // sha256 of the uncompressed tar: the config's rootfs.diff_ids
	digest    v1.Hash // sha256 of the blob as stored: the manifest's layer digest
	size      int64   // size of the blob
	mediaType types.MediaType
}

// remove closes and deletes the staged blob. It is safe to call on nil.
func (l *layer) remove() {
	if l == nil {
		return
	}
	l.file.Close()
	os.Remove(l.file.Name())
}

// stageLayer writes the tree as a layer blob to a temporary file in
// in.WorkDir, hashing the tar and the blob in the same pass. The file is
// removed when staging fails; on success the caller removes it.
func stageLayer(ctx context.Context, in prepared) (_ *layer, err error) {
	if in.WorkDir == "" {
		// os.CreateTemp would fall back to /tmp, often a small tmpfs.
		return nil, errors.New("no work directory given to stage the layer in")
	}
	f, err := os.CreateTemp(in.WorkDir, ".kiln-layer-*.tmp")
	if err != nil {
		return nil, fmt.Errorf("create layer file in work directory: %w", err)
	}
	l := &layer{file: f}
	var gz *pgzip.Writer
	defer func() {
		if err != nil {
			if gz != nil {
				gz.Close() // stops its goroutines; the blob is discarded anyway
			}
			l.remove()
		}
	}()

	// Uncompressed, the blob is the tar and one hash serves both digests.
	// Compressed, the tar is hashed here while pgzip's own goroutines
	// compress it and its writer goroutine hashes and writes the blob.
	buf := bufio.NewWriterSize(f, ioBuf)
	blobCount := &countWriter{}
	diffHash := sha256.New()
	blobHash := diffHash
	tarOut := io.MultiWriter(buf, diffHash, blobCount)
	l.mediaType = types.OCIUncompressedLayer
	if in.Compress {
		blobHash = sha256.New()
		if gz, err = newParallelGzip(io.MultiWriter(buf, blobHash, blobCount)); err != nil {
			return nil, err
		}
		tarOut = io.MultiWriter(gz, diffHash)
		l.mediaType = types.OCILayer
	}

	opts := tartree.Options{
		Exclude:  tartree.ContainerExclude,
		ModTime:  in.created,
		Progress: in.Progress,
	}
	if _, err := tartree.Write(ctx, tarOut, in.Root, opts); err != nil {
		return nil, fmt.Errorf("archive root tree into layer: %w", err)
	}
	if gz != nil {
		if err := gz.Close(); err != nil {
			return nil, fmt.Errorf("compress layer: %w", err)
		}
	}
	if err := buf.Flush(); err != nil {
		return nil, fmt.Errorf("write layer file: %w", err)
	}
	l.diffID = sum(diffHash)
	l.digest = sum(blobHash)
	l.size = blobCount.n
	return l, nil
}

// copyTo streams the staged blob into w, checking ctx between blocks.
func (l *layer) copyTo(ctx context.Context, w io.Writer) error {
	if _, err := l.file.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("rewind layer file: %w", err)
	}
	buf := make([]byte, ioBuf)
	var done int64
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, rerr := l.file.Read(buf)
		if n > 0 {
			if _, err := w.Write(buf[:n]); err != nil {
				return fmt.Errorf("copy layer into archive: %w", err)
			}
			done += int64(n)
		}
		if errors.Is(rerr, io.EOF) {
			break
		}
		if rerr != nil {
			return fmt.Errorf("read layer file: %w", rerr)
		}
	}
	if done != l.size {
		return fmt.Errorf("layer file holds %d bytes, %d were written", done, l.size)
	}
	return nil
}

func sum(h hash.Hash) v1.Hash {
	return v1.Hash{Algorithm: "sha256", Hex: fmt.Sprintf("%x", h.Sum(nil))}
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}
