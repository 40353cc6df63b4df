// Package survey holds Canvass's domain: the error type every layer speaks,
// cases and their answers. Sub-packages hold instruments (questionnaire
// definitions), the MongoDB store, AAPOR dispositions and the sample frame.
package survey

import (
	"errors"
	"fmt"
)

// Error codes. The server maps each to one HTTP status in one place.
const (
	EINVALID      = "invalid"      // the caller sent something wrong (422)
	ENOTFOUND     = "not_found"    // no such thing, or not yours (404)
	ECONFLICT     = "conflict"     // the state forbids it, e.g. already submitted (409)
	EUNAUTHORIZED = "unauthorized" // credentials missing or wrong (401)
	EFORBIDDEN    = "forbidden"    // credentials fine, role insufficient (403)
	ECLOSED       = "closed"       // outside the field period (403 on the API, a friendly page in HTML)
	EUNAVAILABLE  = "unavailable"  // the store did not answer, so a write may or may not have been made (503)
	EBUSY         = "busy"         // refused before anything was written: try again later (503 with Retry-After)
	EINTERNAL     = "internal"     // a bug or an unexpected failure (500, logged)
)

// Error is the one error type of the domain. Message is safe to show to the
// caller; Fields names the offending inputs (question id → message).
type Error struct {
	Code    string
	Message string
	Fields  map[string]string
	// Err is the underlying cause, logged for internal errors, never shown.
	Err error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldErrors returns an EINVALID error naming each offending field.
func FieldErrors(message string, fields map[string]string) *Error {
	return &Error{Code: EINVALID, Message: message, Fields: fields}
}

// ErrorCode returns the code of err, EINTERNAL for errors that are not *Error.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	if err == nil {
		return ""
	}
	return EINTERNAL
}
