package postgres

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/deardiary/deardiary-go/core"
)

// SQLSTATE codes the store tells apart
// (https://www.postgresql.org/docs/current/errcodes-appendix.html).
const (
	uniqueViolation      = "23505"
	foreignKeyViolation  = "23503"
	checkViolation       = "23514"
	notNullViolation     = "23502"
	badEncoding          = "22021" // character_not_in_repertoire: invalid UTF-8 or a NUL
	invalidText          = "22P02"
	outOfRange           = "22003"
	stringTooLong        = "22001"
	programLimit         = "54000" // e.g. an index row too large
	diskFull             = "53100"
	outOfMemory          = "53200"
	readOnlyTransaction  = "25006"
	serializationFailure = "40001"
	deadlockDetected     = "40P01"
	invalidCatalogName   = "3D000" // the database does not exist
	invalidPassword      = "28P01"
	invalidAuthorization = "28000"
	tooManyConnections   = "53300"
	adminShutdown        = "57P01" // the server ended the connection
	crashShutdown        = "57P02"
	cannotConnectNow     = "57P03" // the server is starting or stopping
)

func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// retryable reports whether a transaction failed only because it met
// another, and may succeed when run again.
func retryable(err error) bool {
	code := pgCode(err)
	return code == serializationFailure || code == deadlockDetected
}

// isUnique reports whether err is a unique violation of the named
// constraint (any, for "").
func isUnique(err error, constraint string) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == uniqueViolation && (constraint == "" || pe.ConstraintName == constraint)
}

// fold turns a driver error the store did not foresee into a typed one: a
// constraint violation, text PostgreSQL cannot store, a full disk. Others
// pass through as internal errors. write folds what its function returns,
// and the read helpers what they read.
func fold(err error) error {
	var typed *core.Error
	if err == nil || errors.As(err, &typed) {
		return err
	}
	switch pgCode(err) {
	case diskFull:
		return &core.Error{Code: core.EStorage, Message: "cannot write the database: its disk is full; nothing of this write was kept", Err: err}
	case outOfMemory:
		return &core.Error{Code: core.EInternal, Message: "the database ran out of memory for this request", Err: err}
	case uniqueViolation:
		return &core.Error{Code: core.EConflict, Message: "an entity with these values already exists", Err: err}
	case foreignKeyViolation:
		return &core.Error{Code: core.EInvalid, Message: "an entity this refers to does not exist (it may just have been deleted)", Err: err}
	case checkViolation, notNullViolation, outOfRange, stringTooLong, invalidText:
		return &core.Error{Code: core.EInvalid, Message: "a value is missing or out of range", Err: err}
	case badEncoding:
		return &core.Error{Code: core.EInvalid, Message: "a text value is not valid UTF-8 or holds a NUL character", Err: err}
	case programLimit:
		return &core.Error{Code: core.EInvalid, Message: "a value is too large for the database to index", Err: err}
	case readOnlyTransaction:
		return &core.Error{Code: core.EInvalid, Message: "the database is open read-only", Err: err}
	}
	var (
		ce *pgconn.ConnectError
		ne *net.OpError
	)
	switch code := pgCode(err); {
	case code == adminShutdown || code == crashShutdown || code == cannotConnectNow,
		errors.As(err, &ce), errors.As(err, &ne), errors.Is(err, io.ErrUnexpectedEOF):
		// Still internal, but a message a user can act on: the server is
		// gone, not the request wrong. Addresses stay in the logs.
		return &core.Error{Code: core.EInternal, Message: "cannot reach the PostgreSQL server; try again once it is back", Err: err}
	}
	return err
}

// openError says in one line which of the usual failures met Open, and what
// to do about it. Passwords are never repeated.
func openError(where, user, database string, err error) error {
	var pe *pgconn.PgError
	errors.As(err, &pe)
	var ne *net.OpError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("cannot connect to PostgreSQL at %s: connection refused; start the server or fix the host and port in the URL", where)
	case pe != nil && pe.Code == invalidCatalogName:
		return fmt.Errorf("PostgreSQL at %s has no database %q; create it (createdb %s) or fix the URL", where, database, database)
	case pe != nil && (pe.Code == invalidPassword || pe.Code == invalidAuthorization):
		return fmt.Errorf("PostgreSQL at %s refused user %q: %s; fix the user or password in the URL", where, user, pe.Message)
	case pe != nil && pe.Code == tooManyConnections:
		return fmt.Errorf("PostgreSQL at %s has no free connections: %s; close some or raise max_connections", where, pe.Message)
	case errors.As(err, &ne) && ne.Op == "dial":
		return fmt.Errorf("cannot connect to PostgreSQL at %s: %s; check the host and port in the URL", where, oneLine(ne.Err))
	case pe != nil:
		return fmt.Errorf("PostgreSQL at %s refused the connection: %s", where, pe.Message)
	}
	return fmt.Errorf("cannot connect to PostgreSQL at %s: %s", where, oneLine(err))
}

// urlError explains a URL pgx cannot read, without repeating the URL: it
// may hold a password.
func urlError(err error) error {
	msg := err.Error()
	if _, after, ok := strings.Cut(msg, "`: "); ok {
		msg = after
	}
	return fmt.Errorf("cannot read the PostgreSQL URL: %s; write it as postgres://user:password@host:5432/database", msg)
}

// oneLine is the text of a connection error without pgx's prefix (the user
// and database, said already) and on one line.
func oneLine(err error) string {
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) && errors.Unwrap(ce) != nil {
		err = errors.Unwrap(ce)
	}
	return strings.Join(strings.Fields(err.Error()), " ")
}

// storable reports whether id can name a row at all: a lookup of anything
// else is answered NOT_FOUND without asking the database, which would refuse
// the text.
func storable(id string) bool {
	return utf8.ValidString(id) && strings.IndexByte(id, 0) < 0
}
