package upload

import (
	"context"
)

// SendOverlay archives the overlay of root (WriteOverlay) and uploads the
// archive (up's send) at the same time: the archiver writes straight into the
// chunk buffers, and each full chunk is sent while the next one is filled. A
// failure on either side stops the other; the error returned is the first
// cause.
func SendOverlay(ctx context.Context, root string, opts OverlayOptions, up *Uploader) (stats Stats, size int64, sum string, err error) {
	return startOverlay(ctx, root, opts, up).send(ctx, up)
}

// overlayStream is an overlay being archived into an uploader's chunk
// buffers, which it fills (up to the uploader's ChunkBuffers) before anything
// is sent: the archive does not depend on the scan it is sent to, so Run
// starts it before the scan exists.
type overlayStream struct {
	w      *chunkWriter
	cancel context.CancelFunc
	done   chan struct{}
	stats  Stats
	err    error // the archiver's
}

func startOverlay(ctx context.Context, root string, opts OverlayOptions, up *Uploader) *overlayStream {
	ctx, cancel := context.WithCancel(ctx)
	s := &overlayStream{w: up.newWriter(ctx), cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		s.stats, s.err = WriteOverlay(ctx, s.w, root, opts)
		// nil ships the last chunk: the uploader completes. An error reaches
		// the uploader instead, and the upload is not completed.
		s.w.close(s.err)
	}()
	return s
}

// send uploads the archive to up's scan and waits for the archiver.
func (s *overlayStream) send(ctx context.Context, up *Uploader) (stats Stats, size int64, sum string, err error) {
	defer s.cancel()
	size, sum, err = up.send(ctx, s.w)
	if err != nil {
		s.cancel() // unblocks the archiver's write
	}
	<-s.done
	if err == nil && s.err != nil {
		err = s.err // cannot happen: the uploader saw the archiver's error
	}
	return s.stats, size, sum, err
}

// abort stops the archiver, when the overlay will not be sent.
func (s *overlayStream) abort() {
	s.cancel()
	<-s.done
}
