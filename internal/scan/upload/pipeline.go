package upload

import (
	"context"
	"io"
)

// SendOverlay archives the overlay of root (WriteOverlay) and uploads the
// archive (up.Upload) at the same time, through a pipe: the archive exists
// only chunk by chunk. A failure on either side stops the other; the error
// returned is the first cause.
func SendOverlay(ctx context.Context, root string, opts OverlayOptions, up *Uploader) (stats Stats, size int64, sum string, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pr, pw := io.Pipe()
	var werr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		stats, werr = WriteOverlay(ctx, pw, root, opts)
		// nil closes the stream with io.EOF: the uploader completes. An error
		// reaches the uploader's next read, and the upload is not completed.
		pw.CloseWithError(werr)
	}()
	size, sum, err = up.Upload(ctx, pr)
	if err != nil {
		cancel()
		pr.CloseWithError(err) // unblocks the archiver's write
	}
	<-done
	pr.Close()
	if err == nil && werr != nil {
		err = werr // cannot happen: the uploader saw the archiver's error
	}
	return stats, size, sum, err
}
