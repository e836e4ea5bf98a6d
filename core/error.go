package core

import (
	"errors"
	"fmt"
)

// Error codes. Each one is also the code of DearDiary.jl's REST error envelope
// ({"code": ..., "message": ...}); the daemon maps each code to one HTTP status.
const (
	ENotFound            = "NOT_FOUND"
	EUserNotFound        = "USER_NOT_FOUND"
	EInvalid             = "INVALID_PAYLOAD"
	EConflict            = "CONFLICT"
	EInternal            = "SERVER_ERROR"
	EInvalidCredentials  = "INVALID_CREDENTIALS"
	ETokenMissing        = "TOKEN_MISSING"
	ETokenInvalid        = "TOKEN_INVALID"
	ETokenExpired        = "TOKEN_EXPIRED"
	ETokenPayloadInvalid = "TOKEN_PAYLOAD_INVALID"
	EAdminRequired       = "ADMIN_REQUIRED"
	ESameUserRequired    = "SAME_USER_REQUIRED"
	EPermissionRequired  = "PROJECT_PERMISSION_REQUIRED"
	// EStorage is ddd's code for a write the database's disk refused, being
	// full or read-only. Nothing of the failed write was kept.
	EStorage = "STORAGE_ERROR"
)

// ErrIterationLocked is wrapped by the EInvalid error returned for any change to
// an iteration that has ended (its fields, parameters, metrics or tags).
// Test for it with errors.Is.
var ErrIterationLocked = errors.New("iteration has ended and is locked")

// Error is the error every Tracker returns for an expected failure: a missing
// entity, bad input, a conflict. Code is one of the E* constants; Message is
// meant for the person who made the call.
type Error struct {
	Code    string
	Message string
	// Err optionally carries a sentinel such as ErrIterationLocked.
	Err error
}

func (e *Error) Error() string {
	return e.Message
}

func (e *Error) Unwrap() error {
	return e.Err
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err: its own for an *Error, EInternal for any
// other error, and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	default:
		return EInternal
	}
}

// ErrorMessage returns the message of err that is safe to show a user. Errors
// that are not *Error are internal: their text is for logs, not for users.
func ErrorMessage(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Message
	default:
		return "Internal error."
	}
}

// ErrorMessageOrText is the message of a *Error, or the text of any other
// error: for command-line tools, whose errors come from their own setup as
// much as from a Tracker.
func ErrorMessageOrText(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return err.Error()
}

// IsNotFound reports whether err says that an entity does not exist.
func IsNotFound(err error) bool {
	code := ErrorCode(err)
	return code == ENotFound || code == EUserNotFound
}

// NotFound returns the error for a missing entity of the given kind
// ("project", "iteration", ...).
func NotFound(kind, id string) *Error {
	if kind == "user" {
		return Errorf(EUserNotFound, "user %q not found", id)
	}
	return Errorf(ENotFound, "%s %q not found", kind, id)
}

// Invalid returns an EInvalid error with a formatted message.
func Invalid(format string, args ...any) *Error {
	return Errorf(EInvalid, format, args...)
}

// Locked returns the error for a change to the ended iteration id.
func Locked(id string) *Error {
	return &Error{
		Code:    EInvalid,
		Message: fmt.Sprintf("iteration %q has ended and can no longer be changed", id),
		Err:     ErrIterationLocked,
	}
}
