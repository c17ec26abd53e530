package upload

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/kilnhq/kiln/internal/client"
	"github.com/kilnhq/kiln/internal/uforge"
)

// sendChunk stores data at offset off, completing the overlay when fin is set.
// After a network error or a 5xx it backs off and asks the server what it has:
// the whole chunk (the answer was lost) → done; none of it → send it again;
// anything else → the two sides disagree, and the stream cannot be replayed:
// fail. A chunk may keep failing for MaxRetryTime.
func (u *Uploader) sendChunk(ctx context.Context, off int64, data []byte, fin *final) error {
	end := off + int64(len(data))
	var deadline time.Time // set at the first failure
	probe := false
	for attempt := 0; ; {
		var err error
		if probe {
			var n int64
			if n, err = u.received(ctx); err == nil {
				switch {
				case n >= end:
					return u.stored(ctx, fin)
				case n != off:
					return u.mismatch(off, n, nil)
				}
				probe = false
				continue // nothing of it arrived: send it again now
			}
		} else {
			err = u.post(ctx, off, data, fin)
			if err == nil {
				return nil
			}
			var oe *offsetError
			if errors.As(err, &oe) {
				if oe.received >= end {
					return u.stored(ctx, fin) // an attempt whose answer was lost stored it
				}
				return u.mismatch(off, oe.received, oe.err)
			}
			var te *TerminalError
			if errors.As(err, &te) && fin != nil && !deadline.IsZero() {
				// A completion sent before may have succeeded unheard: the
				// scan is then over, and complete.
				return u.ended(ctx, true, te)
			}
		}
		if errors.Is(err, errEnded) {
			return u.ended(ctx, fin != nil, nil)
		}
		var tr *transientError
		if !errors.As(err, &tr) {
			return err
		}
		if deadline.IsZero() {
			deadline = time.Now().Add(u.maxRetryTime())
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("overlay upload at offset %d: still failing after %v: %w", off, u.maxRetryTime(), err)
		}
		wait := client.Backoff(attempt, u.retryWait(), 30*time.Second)
		attempt++
		u.logger().Warn("scan: overlay upload failed; resuming", "offset", off, "attempt", attempt, "wait", wait, "err", err)
		if err := client.Sleep(ctx, wait); err != nil {
			return err
		}
		probe = true
	}
}

// post makes one attempt at storing a chunk.
func (u *Uploader) post(ctx context.Context, off int64, data []byte, fin *final) error {
	resp, err := u.Client.Send(ctx, http.MethodPost, u.path(), u.query(off, data, fin), "application/octet-stream", data)
	if err != nil {
		return transient(ctx, err)
	}
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20)) // lets the connection be reused
		resp.Body.Close()
		return nil
	}
	n, nerr := receivedCount(resp)
	ae := client.ErrorFrom(resp)
	switch {
	case resp.StatusCode >= 500:
		return &transientError{ae}
	case resp.StatusCode == http.StatusConflict && isTerminalID(ae.MessageID):
		return &TerminalError{Message: ae.Message}
	case resp.StatusCode == http.StatusConflict && nerr == nil:
		return &offsetError{received: n, err: ae}
	case fin != nil && resp.StatusCode == http.StatusBadRequest:
		return fmt.Errorf("the server rejected the overlay: %s: %w", ae.Message, ae)
	}
	return fmt.Errorf("POST %s: %w", u.path(), ae)
}

// isTerminalID recognises the scan.terminal messageId, also with the "kiln."
// namespace Kiln's API puts in front of its service errors' ids.
func isTerminalID(id string) bool {
	return id == MessageScanTerminal || strings.HasSuffix(id, "."+MessageScanTerminal)
}

// offsetError is a 409: the server's stored size is not the chunk's offset.
type offsetError struct {
	received int64
	err      error
}

func (e *offsetError) Error() string { return e.err.Error() }

func (u *Uploader) mismatch(off, received int64, cause error) error {
	err := fmt.Errorf("overlay upload: the server has %d bytes, the agent is at offset %d; the stream cannot be replayed", received, off)
	if cause != nil {
		err = fmt.Errorf("%w: %w", err, cause)
	}
	return err
}

// stored handles a chunk the server has although its answer was lost. For the
// last chunk that leaves open whether the completion ran.
func (u *Uploader) stored(ctx context.Context, fin *final) error {
	if fin == nil {
		return nil
	}
	if done, err := u.verdict(ctx, true); done {
		return err
	}
	// The scan is still open: the completion did not run (or not yet). Send it
	// again alone, an empty last chunk at the end of the stream.
	err := u.post(ctx, fin.size, nil, fin)
	if err == nil {
		return nil
	}
	var te *TerminalError
	var tr *transientError
	if errors.As(err, &te) || errors.As(err, &tr) {
		if done, verr := u.verdict(ctx, true); done {
			return verr
		}
	}
	return fmt.Errorf("overlay sent (%d bytes), but the server did not complete the scan: %w", fin.size, err)
}

// ended explains a scan the server closed: its status says how. allSent means
// the whole overlay and its completion were sent, so a complete scan is
// success. cause is the server's own word, when it gave one.
func (u *Uploader) ended(ctx context.Context, allSent bool, cause *TerminalError) error {
	if done, err := u.verdict(ctx, allSent); done {
		return err
	}
	if cause != nil {
		return cause
	}
	return &TerminalError{}
}

// verdict reads the scan's status: done when it is terminal, with nil for a
// scan completed (only when allSent) and a *TerminalError otherwise.
func (u *Uploader) verdict(ctx context.Context, allSent bool) (done bool, err error) {
	s, err := u.Client.GetScan(ctx, u.User, u.InstanceID, u.ScanID)
	if err != nil {
		return true, fmt.Errorf("overlay upload: cannot read the scan's state: %w", err)
	}
	st := s.Status
	if st == nil {
		return false, nil
	}
	msg := uforge.StrValue(st.ErrorMessage)
	if msg == "" {
		msg = uforge.StrValue(st.Message)
	}
	switch {
	case uforge.BoolValue(st.Cancelled):
		return true, &TerminalError{Message: msg}
	case uforge.BoolValue(st.Error):
		return true, &TerminalError{Failed: true, Message: msg}
	case uforge.BoolValue(st.Complete) && allSent:
		return true, nil
	case uforge.BoolValue(st.Complete):
		return true, &TerminalError{Message: "the scan was completed before its overlay"}
	}
	return false, nil
}
