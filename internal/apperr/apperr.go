// Package apperr defines the errors Mailbridge shows to people: each has a
// kind (which becomes the GraphQL extensions.code), a stable message id
// ("component.errorBrief"), a message a person can act on and, for
// validation errors, the offending field. Anything that is not an *Error is
// internal: its text goes to the logs, never to clients.
package apperr

import (
	"errors"
	"fmt"
)

// Kind is the class of a public error; graph maps it to extensions.code.
type Kind string

// The kinds, one per extensions.code of the API.
const (
	KindUnauthenticated Kind = "UNAUTHENTICATED"
	KindForbidden       Kind = "FORBIDDEN"
	KindNotFound        Kind = "NOT_FOUND"
	KindValidation      Kind = "VALIDATION_FAILED"
	KindConflict        Kind = "CONFLICT"
	KindInternal        Kind = "INTERNAL"
	// KindQueryTooCostly: the request would cause more database work than
	// one request may (too many queries, aliases or objects).
	KindQueryTooCostly Kind = "QUERY_TOO_COSTLY"
	// KindRateLimited: the caller sent too many requests; retry later.
	KindRateLimited Kind = "RATE_LIMITED"
	// KindUnavailable: the service (usually its database) did not answer
	// in time; retry later.
	KindUnavailable Kind = "UNAVAILABLE"
)

// Error is a public error: safe to show, stable to program against.
type Error struct {
	Kind    Kind
	ID      string // stable message id, e.g. "mailbox.notConnected"
	Message string // for people: what happened and what to do
	Field   string // for KindValidation: the input field at fault
	Cause   error  // for logs only
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return fmt.Sprintf("%s: %s: %v", e.ID, e.Message, e.Cause)
	}
	return e.ID + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Cause }

// As returns the public error in err's chain, if any.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// Unauthenticated: the request carries no valid session or token.
func Unauthenticated(id, msg string) *Error {
	return &Error{Kind: KindUnauthenticated, ID: id, Message: msg}
}

// Forbidden: the viewer can see the object but may not do this to it.
func Forbidden(id, msg string) *Error { return &Error{Kind: KindForbidden, ID: id, Message: msg} }

// NotFound: the object does not exist or is not visible to the viewer (the
// two are deliberately indistinguishable).
func NotFound(id, msg string) *Error { return &Error{Kind: KindNotFound, ID: id, Message: msg} }

// Validation: the input is wrong; field names it.
func Validation(id, field, msg string) *Error {
	return &Error{Kind: KindValidation, ID: id, Field: field, Message: msg}
}

// Conflict: the request clashes with the current state (e.g. a concurrent
// change or a uniqueness rule).
func Conflict(id, msg string) *Error { return &Error{Kind: KindConflict, ID: id, Message: msg} }

// QueryTooCostly: the request asks for more work than one request may do.
func QueryTooCostly(id, msg string) *Error {
	return &Error{Kind: KindQueryTooCostly, ID: id, Message: msg}
}

// Unavailable: the service could not answer in time; the client may retry.
func Unavailable(id, msg string) *Error { return &Error{Kind: KindUnavailable, ID: id, Message: msg} }
