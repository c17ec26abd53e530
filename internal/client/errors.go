package client

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/kilnhq/kiln/internal/uforge"
)

// APIError is a non-2xx answer. The server sends a uforgeError for every 4xx
// and 5xx; a proxy or the HTTP stack may not, and then MessageID is empty and
// Message is the start of the body or the status text.
type APIError struct {
	Status    int
	MessageID string // stable per kind of error, e.g. "scan.terminal"
	Message   string
}

func (e *APIError) Error() string {
	if e.MessageID == "" {
		return fmt.Sprintf("server answered %d: %s", e.Status, e.Message)
	}
	return fmt.Sprintf("server answered %d (%s): %s", e.Status, e.MessageID, e.Message)
}

// AsAPIError returns the *APIError err wraps, if any.
func AsAPIError(err error) (*APIError, bool) {
	var e *APIError
	ok := errors.As(err, &e)
	return e, ok
}

// ErrorFrom reads resp (a non-2xx answer) into an *APIError and closes its body.
func ErrorFrom(resp *http.Response) *APIError {
	return readError(resp)
}

func readError(resp *http.Response) *APIError {
	defer resp.Body.Close()
	e := &APIError{Status: resp.StatusCode}
	data, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody)) // a short body still says something
	var u uforge.UForgeError
	if len(data) > 0 && uforge.DecodeJSON(bytes.NewReader(data), &u) == nil && u.LocalizedErrorMsg != nil {
		e.MessageID = uforge.StrValue(u.LocalizedErrorMsg.MessageID)
		e.Message = uforge.StrValue(u.LocalizedErrorMsg.Message)
	}
	if e.Message == "" {
		e.Message = strings.TrimSpace(string(data))
		if len(e.Message) > 200 {
			e.Message = e.Message[:200] + "…"
		}
	}
	if e.Message == "" {
		e.Message = http.StatusText(resp.StatusCode)
	}
	return e
}
