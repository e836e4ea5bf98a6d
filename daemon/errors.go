package daemon

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/deardiary/deardiary-go/core"
)

// statusOf is the one table from error code to HTTP status.
var statusOf = map[string]int{
	core.ENotFound:            http.StatusNotFound,
	core.EUserNotFound:        http.StatusNotFound,
	core.EInvalid:             http.StatusUnprocessableEntity,
	core.EConflict:            http.StatusConflict,
	core.EInternal:            http.StatusInternalServerError,
	core.EInvalidCredentials:  http.StatusUnauthorized,
	core.ETokenMissing:        http.StatusUnauthorized,
	core.ETokenInvalid:        http.StatusUnauthorized,
	core.ETokenExpired:        http.StatusUnauthorized,
	core.ETokenPayloadInvalid: http.StatusUnauthorized,
	core.EAdminRequired:       http.StatusForbidden,
	core.ESameUserRequired:    http.StatusForbidden,
	core.EPermissionRequired:  http.StatusForbidden,
	core.EStorage:             http.StatusInsufficientStorage,
	codeTooLarge:              http.StatusRequestEntityTooLarge,
	codeBusy:                  http.StatusServiceUnavailable,
	codeUnsupportedMediaType:  http.StatusUnsupportedMediaType,
	codeHostNotAllowed:        http.StatusForbidden,
	codeCrossOrigin:           http.StatusForbidden,
}

// ddd's own codes: a request body over its limit (413), a body that is not
// JSON where JSON is read (415), a request addressed to a host name ddd
// does not answer to (403), and a change sent by a web page of another
// site (403).
const (
	codeTooLarge             = "PAYLOAD_TOO_LARGE"
	codeUnsupportedMediaType = "UNSUPPORTED_MEDIA_TYPE"
	codeHostNotAllowed       = "HOST_NOT_ALLOWED"
	codeCrossOrigin          = "CROSS_ORIGIN_REFUSED"
)

// reasonLocked marks, in the envelope's "reason", a change refused because the
// iteration ended, so clients can tell it from other INVALID_PAYLOAD errors.
const reasonLocked = "ITERATION_LOCKED"

// envelope is upstream's error body, plus ddd's optional reason.
type envelope struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Reason  string `json:"reason,omitempty"`
}

// httpError carries a status that the code table does not decide, such as
// a token's user gone (401 USER_NOT_FOUND rather than 404).
type httpError struct {
	status int
	err    *core.Error
}

func (e *httpError) Error() string { return e.err.Error() }
func (e *httpError) Unwrap() error { return e.err }

// writeError answers with the envelope of err. Internal errors are logged and
// shown as "Internal error." only.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	status := 0
	var he *httpError
	if errors.As(err, &he) {
		status = he.status
	}
	code := core.ErrorCode(err)
	if status == 0 {
		status = statusOf[code]
	}
	if status == 0 {
		status = http.StatusInternalServerError
	}
	env := envelope{Code: code, Message: core.ErrorMessage(err)}
	if code == core.EInternal || code == core.EStorage {
		log.Error("internal error", "method", r.Method, "path", r.URL.Path, "request_id", requestID(r.Context()), "error", err)
	}
	if errors.Is(err, core.ErrIterationLocked) {
		env.Reason = reasonLocked
	}
	if code == codeBusy {
		w.Header().Set("Retry-After", "1")
	}
	writeJSON(w, status, env)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
