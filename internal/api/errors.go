package api

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/kilnhq/kiln/internal/store"
)

// Error is an API failure that becomes a uforgeError body. ID is a stable
// messageId clients may key on; Msg is the human sentence.
type Error struct {
	Status int
	ID     string
	Msg    string
	Params []string
	// RetryAfter, when set, is sent as Retry-After (whole seconds).
	RetryAfter time.Duration
}

func (e *Error) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.ID, e.Msg) }

func newError(status int, id, format string, args ...any) *Error {
	return &Error{Status: status, ID: id, Msg: fmt.Sprintf(format, args...)}
}

func badRequest(id, format string, args ...any) *Error {
	return newError(http.StatusBadRequest, "kiln.badRequest."+id, format, args...)
}

func notFound(format string, args ...any) *Error {
	return newError(http.StatusNotFound, "kiln.notFound", format, args...)
}

func conflict(id, format string, args ...any) *Error {
	return newError(http.StatusConflict, "kiln.conflict."+id, format, args...)
}

func forbidden(entitlement string) *Error {
	e := newError(http.StatusForbidden, "kiln.forbidden.entitlement",
		"the entitlement %q is required for this operation", entitlement)
	e.Params = []string{entitlement}
	return e
}

func forbiddenUser(uid string) *Error {
	return newError(http.StatusForbidden, "kiln.forbidden.user",
		"you may not act on the resources of user %q", uid)
}

func unauthorized(msg string) *Error {
	return newError(http.StatusUnauthorized, "kiln.unauthorized", "%s", msg)
}

// asAPIError maps any error to an *Error: API errors pass through, store
// sentinels become 404/409, everything else is a 500 whose message hides internals.
func asAPIError(err error) *Error {
	var e *Error
	switch {
	case errors.As(err, &e):
		return e
	case errors.Is(err, store.ErrNotFound):
		return notFound("the resource does not exist")
	case errors.Is(err, store.ErrConflict):
		return conflict("exists", "the resource already exists")
	}
	return newError(http.StatusInternalServerError, "kiln.internal", "internal error; the server log has the details")
}
