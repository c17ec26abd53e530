package service

import (
	"errors"
	"fmt"
	"time"
)

// Kind classifies a use-case failure; the API maps kinds to HTTP statuses.
type Kind int

const (
	KindInvalid     Kind = iota + 1 // 400: the request is wrong
	KindNotFound                    // 404
	KindConflict                    // 409: exists already, or state forbids it
	KindForbidden                   // 403
	KindTooLarge                    // 413
	KindUnavailable                 // 503: try again later
	KindQuota                       // 403: a quota of the user is reached
	KindTooMany                     // 429: too much at once; try again after RetryAfter
)

// Error is a use-case failure with a stable id and a message meant for the user.
type Error struct {
	Kind Kind
	ID   string // stable suffix of the messageId, e.g. "appliance.duplicate"
	Msg  string
	Err  error // optional cause, never shown to the user
	// RetryAfter, when set, is how long the caller should wait before trying
	// again (KindTooMany, KindUnavailable).
	RetryAfter time.Duration
}

func (e *Error) Error() string { return e.Msg }
func (e *Error) Unwrap() error { return e.Err }

func invalid(id, format string, args ...any) *Error {
	return &Error{Kind: KindInvalid, ID: id, Msg: fmt.Sprintf(format, args...)}
}

func notFound(id, format string, args ...any) *Error {
	return &Error{Kind: KindNotFound, ID: id, Msg: fmt.Sprintf(format, args...)}
}

func conflict(id, format string, args ...any) *Error {
	return &Error{Kind: KindConflict, ID: id, Msg: fmt.Sprintf(format, args...)}
}

func forbidden(id, format string, args ...any) *Error {
	return &Error{Kind: KindForbidden, ID: id, Msg: fmt.Sprintf(format, args...)}
}

// AsError returns the *Error inside err, if any.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
