package cli

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"syscall"
	"time"

	"github.com/kilnhq/kiln/internal/client"
	"github.com/kilnhq/kiln/internal/uforge"
)

// Terminal reports whether a status is final: complete, error or cancelled.
func Terminal(st *uforge.OpStatus) bool {
	return st != nil && (uforge.BoolValue(st.Complete) || uforge.BoolValue(st.Error) || uforge.BoolValue(st.Cancelled))
}

// StatusText is hammr's status column (image list, cancel, delete).
func StatusText(st *uforge.OpStatus) string {
	switch {
	case st == nil:
		return "Unknown"
	case uforge.BoolValue(st.Error):
		return "Error"
	case uforge.BoolValue(st.Cancelled):
		return "Canceled"
	case uforge.BoolValue(st.Complete):
		return "Done"
	}
	return fmt.Sprintf("In progress (%d%%)", uforge.IntValue(st.Percentage))
}

// statusWord is the status in JSON output.
func statusWord(st *uforge.OpStatus) string {
	switch {
	case st == nil:
		return "unknown"
	case uforge.BoolValue(st.Error):
		return "error"
	case uforge.BoolValue(st.Cancelled):
		return "cancelled"
	case uforge.BoolValue(st.Complete):
		return "complete"
	}
	return "running"
}

// Outcome is how a followed generation ended.
type Outcome struct {
	Status *uforge.OpStatus
	// CancelledByUser: the user asked for the cancel (Ctrl-C, then yes).
	CancelledByUser bool
}

// Follow polls the status of the image at uri every PollInterval, from first
// (the ticket's status) until it is final, drawing a progress bar on stderr.
// On Ctrl-C it asks "Cancel the generation? [y/N]" (without a terminal, or on
// SIGTERM, it cancels without asking) and on yes sends DELETE uri/status,
// then follows the generation to its end.
func (e *Env) Follow(ctx context.Context, label, uri string, first *uforge.OpStatus) (*Outcome, error) {
	out := &Outcome{Status: first}
	b := NewBar(e.Err, e.ErrTTY, label, e.Now)
	defer b.Done()
	cancelSent := false
	for !Terminal(out.Status) {
		if st := out.Status; st != nil {
			b.Percent(uforge.IntValue(st.Percentage), uforge.StrValue(st.Message))
		}
		select {
		case <-ctx.Done():
			return out, ctx.Err()
		case sig := <-e.Interrupts:
			if cancelSent {
				continue
			}
			b.Break()
			if sig != syscall.SIGTERM && e.Interactive && !e.askCancel(ctx) {
				continue
			}
			fmt.Fprintln(e.Err, "Cancelling the generation…")
			st, err := e.Client.CancelImage(ctx, uri)
			if err != nil {
				if ae, ok := client.AsAPIError(err); !ok || ae.Status != http.StatusConflict {
					return out, fmt.Errorf("cancel: %w", err)
				}
				// 409: it ended meanwhile; the next read says how.
			} else {
				out.Status = st
			}
			cancelSent, out.CancelledByUser = true, true
			continue
		case <-time.After(e.poll()):
		}
		st, err := e.Client.ImageStatus(ctx, uri)
		if err != nil {
			return out, err
		}
		out.Status = st
	}
	if uforge.BoolValue(out.Status.Complete) && !uforge.BoolValue(out.Status.Error) {
		b.Percent(100, uforge.StrValue(out.Status.Message))
	}
	if !uforge.BoolValue(out.Status.Cancelled) {
		out.CancelledByUser = false // the cancel came too late: it finished
	}
	return out, nil
}

// askCancel asks whether to cancel; a second Ctrl-C while asking means yes.
func (e *Env) askCancel(ctx context.Context) bool {
	fmt.Fprint(e.Err, "Cancel the generation? [y/N] ")
	ans := make(chan string, 1)
	go func() {
		line, err := e.readLine()
		if err != nil {
			line = ""
		}
		ans <- line
	}()
	select {
	case a := <-ans:
		a = strings.ToLower(a)
		return a == "y" || a == "yes"
	case <-e.Interrupts:
		fmt.Fprintln(e.Err)
		return true
	case <-ctx.Done():
		return false
	}
}

// Report prints the outcome of a generation as hammr does (contract §4.4)
// and returns an error unless it completed.
func (e *Env) Report(kind string, ticket *uforge.Image, o *Outcome) error {
	st := o.Status
	uri := uforge.StrValue(ticket.URI)
	switch {
	case uforge.BoolValue(st.Error):
		msg := strings.TrimSpace(uforge.StrValue(st.Message) + "\n" + uforge.StrValue(st.ErrorMessage))
		if uforge.BoolValue(st.DetailedError) && uforge.StrValue(st.DetailedErrorMsg) != "" {
			msg += "\n" + uforge.StrValue(st.DetailedErrorMsg)
		}
		fmt.Fprintf(e.Err, "Generation '%s' error\n%s\n", kind, msg)
		return fmt.Errorf("generation '%s' (image %s) failed: %s", kind, lastSegment(uri), firstLine(uforge.StrValue(st.ErrorMessage), uforge.StrValue(st.Message)))
	case uforge.BoolValue(st.Cancelled):
		e.Info("Generation '%s' is canceled\n%s", kind, uforge.StrValue(st.Message))
		return fmt.Errorf("generation '%s' (image %s) cancelled", kind, lastSegment(uri))
	}
	e.Info("Generation '%s' ok\nImage URI: %s\nImage Id : %s", kind, uri, lastSegment(uri))
	return nil
}

func firstLine(ss ...string) string {
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			l, _, _ := strings.Cut(s, "\n")
			return l
		}
	}
	return "no message"
}

func lastSegment(uri string) string {
	uri = strings.TrimRight(uri, "/")
	if i := strings.LastIndexByte(uri, '/'); i >= 0 {
		return uri[i+1:]
	}
	return uri
}
