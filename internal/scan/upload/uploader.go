package upload

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/kilnhq/kiln/internal/client"
)

// The overlay upload protocol (Kiln's; UForge's own is undocumented):
//
//	POST {scan}/overlay?offset=O&crc=C            body: one chunk      → 201
//	POST {scan}/overlay?offset=O&crc=C&complete=true&size=N&sha256=H
//	                                               body: the last chunk → 201 checked and completed
//	                                                                    → 400 rejected (message says why)
//	HEAD {scan}/overlay                                                 → 200, ReceivedHeader: bytes stored
//
// C is the CRC-32 of the chunk. A 409 carries ReceivedHeader when O is not
// what the server has; a 409 with messageId MessageScanTerminal (Kiln's API
// sends it as "kiln.scan.terminal") means the scan was cancelled or failed on
// the server.
//
// DefaultChunkSize and DefaultChunkBuffers bound the agent's memory for the
// upload to 16 MiB: one chunk being filled by the archiver while the other is
// sent. Two are enough for neither side to wait while the other has work:
// when the archiver is the slower, the next chunk is full by the time the
// sender is done with the last one. Larger chunks buy little: against Kiln's
// server on loopback a request costs well under a millisecond besides its
// bytes (96 MiB in 4 MiB chunks took 266 ms to send, in 16 MiB chunks
// 276 ms), while every buffer is live heap, which the Go runtime lets garbage
// match before it collects: each MiB of buffer costs about two of RSS, of the
// agent's 100 MB budget. The server takes up to service.MaxChunkBytes
// (256 MiB) per request; ChunkSize can say more for a link with a long round
// trip, which each chunk waits for once.
const (
	DefaultChunkSize    = 8 << 20
	DefaultChunkBuffers = 2
	ReceivedHeader      = "X-Kiln-Overlay-Received"
	MessageScanTerminal = "scan.terminal"
)

// DefaultMaxRetryTime is how long one chunk may keep failing before the upload
// gives up: long enough for a server restart or a network blip.
const DefaultMaxRetryTime = 5 * time.Minute

// ErrScanTerminal is wrapped by the error of an upload the server ended.
var ErrScanTerminal = errors.New("scan ended on the server")

// TerminalError is an upload stopped because the scan was cancelled or failed
// on the server.
type TerminalError struct {
	Failed  bool   // the scan failed (otherwise it was cancelled, or the server did not say)
	Message string // the server's
}

func (e *TerminalError) Error() string {
	what := "scan cancelled on the server"
	if e.Failed {
		what = "scan failed on the server"
	}
	if e.Message == "" {
		return what
	}
	return what + ": " + e.Message
}

func (e *TerminalError) Unwrap() error { return ErrScanTerminal }

// Uploader sends one scan's overlay in chunks, resuming after network errors
// and server failures.
type Uploader struct {
	Client             *client.Client
	User               string
	InstanceID, ScanID int64
	ChunkSize          int              // default DefaultChunkSize
	ChunkBuffers       int              // chunks in memory at most (at least 2); default DefaultChunkBuffers
	Progress           func(sent int64) // bytes the server has acknowledged, after each chunk
	MaxRetryTime       time.Duration    // default DefaultMaxRetryTime
	RetryWait          time.Duration    // first backoff delay, doubled per failure (default 1s)
	Logger             *slog.Logger
}

// Upload sends everything r yields and completes the overlay with its size and
// SHA-256 (hex), which it returns. r is read straight into the chunk buffers
// while earlier chunks are sent: at most ChunkBuffers chunks are in memory. r
// must end with io.EOF; any other error aborts the upload without completing
// it.
//
// When Upload fails it does not wait for a Read of r in progress: the caller
// closes r to release it.
func (u *Uploader) Upload(ctx context.Context, r io.Reader) (size int64, sum string, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w := u.newWriter(ctx)
	go func() {
		_, err := w.ReadFrom(r)
		w.close(err)
	}()
	return u.send(ctx, w)
}

// newWriter is the write end of an upload: what is written to it, then
// close(nil), is what send sends. A failed send ends ctx, which fails the
// writer's Write.
func (u *Uploader) newWriter(ctx context.Context) *chunkWriter {
	return newChunkWriter(ctx, u.chunkSize(), u.chunkBuffers())
}

// send uploads the chunks w ships, in order, each as soon as it is full, and
// completes the overlay with the last one. The stream's SHA-256 is computed
// by a goroutine of its own, chunk by chunk, while the chunk is on its way to
// the server (only the last one waits for it: its request declares the sum);
// a buffer goes back to the writer once both are done with it.
func (u *Uploader) send(ctx context.Context, w *chunkWriter) (size int64, sum string, err error) {
	h := sha256.New()
	toHash := make(chan []byte, w.depth)
	hashed := make(chan struct{}, w.depth)
	defer close(toHash)
	go func() {
		for b := range toHash {
			h.Write(b)
			hashed <- struct{}{}
		}
	}()
	log := u.logger()
	var off int64
	for {
		var c chunk
		waitStart := time.Now()
		select {
		case c = <-w.full:
		case <-ctx.Done():
			return off, "", ctx.Err()
		}
		if c.err != nil {
			return off, "", fmt.Errorf("overlay stream: %w", c.err)
		}
		waited := time.Since(waitStart)
		sendStart := time.Now()
		toHash <- c.data
		var fin *final
		if c.last {
			<-hashed
			fin = &final{size: off + int64(len(c.data)), sha256: hex.EncodeToString(h.Sum(nil))}
		}
		if err := u.sendChunk(ctx, off, c.data, fin); err != nil {
			return off, "", err
		}
		log.Debug("scan: overlay chunk stored", "offset", off, "bytes", len(c.data), "waited", waited, "sent", time.Since(sendStart))
		off += int64(len(c.data))
		if u.Progress != nil {
			u.Progress(off)
		}
		if c.last {
			return off, fin.sha256, nil
		}
		<-hashed
		w.free <- c.data[:0] // never blocks: it holds every buffer there is
	}
}

// final is what the completing request declares.
type final struct {
	size   int64
	sha256 string
}

func (u *Uploader) chunkBuffers() int {
	if u.ChunkBuffers > 0 {
		return u.ChunkBuffers
	}
	return DefaultChunkBuffers
}

func (u *Uploader) chunkSize() int {
	if u.ChunkSize > 0 {
		return u.ChunkSize
	}
	return DefaultChunkSize
}

func (u *Uploader) maxRetryTime() time.Duration {
	if u.MaxRetryTime > 0 {
		return u.MaxRetryTime
	}
	return DefaultMaxRetryTime
}

func (u *Uploader) retryWait() time.Duration {
	if u.RetryWait > 0 {
		return u.RetryWait
	}
	return time.Second
}

func (u *Uploader) logger() *slog.Logger {
	if u.Logger != nil {
		return u.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func (u *Uploader) path() string {
	return client.ScanPath(u.User, u.InstanceID, u.ScanID) + "/overlay"
}

func (u *Uploader) query(off int64, data []byte, fin *final) url.Values {
	q := url.Values{"offset": {strconv.FormatInt(off, 10)}, "crc": {client.CRC32(data)}}
	if fin != nil {
		q.Set("complete", "true")
		q.Set("size", strconv.FormatInt(fin.size, 10))
		q.Set("sha256", fin.sha256)
	}
	return q
}

// received asks the server how many bytes of the overlay it has stored.
func (u *Uploader) received(ctx context.Context) (int64, error) {
	resp, err := u.Client.Send(ctx, http.MethodHead, u.path(), nil, "", nil)
	if err != nil {
		return 0, transient(ctx, err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusOK:
		n, err := receivedCount(resp)
		if err != nil {
			return 0, fmt.Errorf("HEAD %s: %w", u.path(), err)
		}
		return n, nil
	case resp.StatusCode >= 500:
		return 0, &transientError{client.ErrorFrom(resp)}
	case resp.StatusCode == http.StatusConflict:
		// A HEAD answer has no body to carry the messageId: the scan says why.
		return 0, errEnded
	}
	return 0, fmt.Errorf("HEAD %s: %w", u.path(), client.ErrorFrom(resp))
}

// errEnded is a HEAD refused because the scan is over; the caller asks the scan
// how it ended.
var errEnded = errors.New("the server refuses the overlay: the scan has ended")

func receivedCount(resp *http.Response) (int64, error) {
	v := resp.Header.Get(ReceivedHeader)
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("bad %s header %q", ReceivedHeader, v)
	}
	return n, nil
}

// transientError is a failure worth retrying: the network, or a 5xx.
type transientError struct{ err error }

func (e *transientError) Error() string { return e.err.Error() }
func (e *transientError) Unwrap() error { return e.err }

// transient marks a network error as retryable, unless ctx ended.
func transient(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return &transientError{err}
}
