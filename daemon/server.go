// Package daemon is ddd: DearDiary's REST server, wire-compatible with
// DearDiary.jl's API, and the Go client that implements core.Tracker against
// it. The server serves any core.Tracker; ddd gives it the DuckDB store, whose
// single writer makes many concurrent clients safe.
package daemon

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"reflect"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/deardiary/deardiary-go/core"
)

// Version is ddd's version, reported by /health.
const Version = "0.1.0"

// Server answers DearDiary's REST API from a Tracker.
type Server struct {
	t      core.Tracker
	cfg    Config
	log    *slog.Logger
	router *router
	now    func() time.Time

	bodies *bodyBudget
	pace   bodyPace

	defaultOnce sync.Once
	defaultUser *core.User
	defaultErr  error

	// The checks that keep web pages out (browsers.go).
	anyHost bool
	hosts   map[string]bool
	xorigin *http.CrossOriginProtection
}

// NewServer returns the HTTP handler of ddd's API over t.
func NewServer(t core.Tracker, cfg Config, log *slog.Logger) *Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxBodyMemory <= 0 {
		cfg.MaxBodyMemory = DefaultConfig().MaxBodyMemory
	}
	s := &Server{t: t, cfg: cfg, log: log, now: time.Now,
		bodies: newBodyBudget(cfg.MaxBodyMemory), pace: bodyPace{rate: minBodyRate, grace: bodyGrace}}
	s.guardBrowsers()
	s.router = newRouter(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, s.log, core.Errorf(core.ENotFound, "no route %s %s", r.Method, r.URL.Path))
	}), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusMethodNotAllowed, envelope{Code: core.ENotFound, Message: fmt.Sprintf("%s is not allowed on %s", r.Method, r.URL.Path)})
	}))
	for _, rt := range s.routes() {
		// /project and /project/ alike, as upstream.
		paths := []string{rt.path, rt.path + "/"}
		if p, ok := strings.CutSuffix(rt.path, "/"); ok {
			paths = []string{rt.path, p}
		}
		for _, p := range paths {
			s.router.handle(rt.method, p, s.endpoint(rt))
		}
	}
	return s
}

// ServeHTTP runs the middleware chain: request id and log, panic recovery,
// the Host check, CORS, the cross-origin check, then authentication and the
// route.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := r.Header.Get("X-Request-Id")
	if id == "" || len(id) > 64 {
		var b [8]byte
		_, _ = rand.Read(b[:])
		id = hex.EncodeToString(b[:])
	}
	w.Header().Set("X-Request-Id", id)
	info := &requestInfo{id: id}
	r = r.WithContext(context.WithValue(r.Context(), requestInfoKey{}, info))
	s.pace.apply(w, r)
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	start := time.Now()
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			s.log.Error("panic in handler", "method", r.Method, "path", r.URL.Path, "request_id", id, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			if !rec.wrote {
				writeError(rec, r, s.log, core.Errorf(core.EInternal, "internal error"))
			}
		}
		// Typed attributes: the line of every request, without boxing its
		// values into any.
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "request", slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", rec.status), slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
			slog.String("request_id", id))
	}()
	if s.refuseHost(rec, r) || s.cors(rec, r) || s.refuseCrossOrigin(rec, r) {
		return
	}
	if !utf8URL(r.URL) {
		writeError(rec, r, s.log, core.Invalid("the request's path or query is not valid UTF-8 text"))
		return
	}
	caller, err := s.authenticate(r)
	if err != nil {
		writeError(rec, r, s.log, err)
		return
	}
	info.caller = caller
	s.router.ServeHTTP(rec, r)
}

// utf8URL reports whether u's path and query values decode to UTF-8 text.
// The store holds only UTF-8, so other bytes can name nothing there.
func utf8URL(u *url.URL) bool {
	if !utf8.ValidString(u.Path) {
		return false
	}
	if u.RawQuery == "" {
		return true
	}
	for k, vs := range u.Query() {
		if !utf8.ValidString(k) {
			return false
		}
		for _, v := range vs {
			if !utf8.ValidString(v) {
				return false
			}
		}
	}
	return true
}

// requestInfo is what ServeHTTP learns of a request for the code after it,
// in one context value: each value added to a request's context copies the
// request (about 250 bytes), and there were three. Every copy of the
// request shares it, so a request is routed once (router sets vars).
type requestInfo struct {
	id     string
	caller *core.User // set once authenticated
	hold   *bodyHold  // set by the route (bodyBudget.hold)
	// vars are the route's variables (router), in varsBuf when few.
	vars    []routeVar
	varsBuf [3]routeVar
}

type requestInfoKey struct{}

func infoOf(ctx context.Context) *requestInfo {
	info, _ := ctx.Value(requestInfoKey{}).(*requestInfo)
	return info
}

func requestID(ctx context.Context) string {
	if info := infoOf(ctx); info != nil {
		return info.id
	}
	return ""
}

// callerOf is the user making the request: the token's, or the default admin
// when auth is off. It is nil only on open routes with auth on.
func callerOf(r *http.Request) *core.User {
	if info := infoOf(r.Context()); info != nil {
		return info.caller
	}
	return nil
}

type statusRecorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (r *statusRecorder) WriteHeader(status int) {
	if !r.wrote {
		r.status, r.wrote = status, true
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	r.wrote = true
	return r.ResponseWriter.Write(b)
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// cors answers for the origins of Config.CORSOrigins (none by default;
// upstream allowed any) and answers preflights; it reports whether the
// request is done.
func (s *Server) cors(w http.ResponseWriter, r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin != "" {
		wildcard := slices.Contains(s.cfg.CORSOrigins, "*")
		switch {
		case wildcard:
			w.Header().Set("Access-Control-Allow-Origin", "*")
		case slices.Contains(s.cfg.CORSOrigins, origin):
			w.Header().Set("Access-Control-Allow-Origin", origin)
			w.Header().Set("Access-Control-Allow-Credentials", "true")
			w.Header().Add("Vary", "Origin")
		}
	}
	if r.Method != http.MethodOptions {
		return false
	}
	w.Header().Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
	w.Header().Set("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE, OPTIONS")
	w.Header().Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
	return true
}

// handler is a route's code: it writes a success, or returns the error.
type handler func(w http.ResponseWriter, r *http.Request) error

func (s *Server) endpoint(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := s.authorize(r, rt.access); err != nil {
			writeError(w, r, s.log, err)
			return
		}
		if takesJSON(rt) {
			if err := jsonContent(r); err != nil {
				writeError(w, r, s.log, err)
				return
			}
		}
		defer s.bodies.hold(r)()
		if err := rt.handle(w, r); err != nil {
			writeError(w, r, s.log, err)
		}
	})
}

// Helpers the handlers share.

// decode reads a JSON body into dst, within the configured size.
func (s *Server) decode(w http.ResponseWriter, r *http.Request, dst any) error {
	return decodeLimited(w, r, dst, s.cfg.MaxBodyBytes)
}

// decodeLimited reads a JSON body of at most limit bytes whole, and into dst
// once checkJSON finds nothing encoding/json would read loosely.
func decodeLimited(w http.ResponseWriter, r *http.Request, dst any, limit int64) error {
	data, err := readBody(w, r, limit)
	if err != nil {
		return err
	}
	return decodeStrict(data, dst, limit)
}

// readBody reads r's body whole (readWhole), refusing one past limit bytes,
// and borrowing its memory from the request's hold on the body budget.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	if r.ContentLength > limit {
		// Refused before reading: a client that sent "Expect: 100-continue"
		// (ddd's does for large bodies) learns it without sending the body.
		return nil, tooLargeError("request body", limit)
	}
	data, err := readWhole(held(r, http.MaxBytesReader(w, r.Body, limit)), r.ContentLength)
	if err != nil {
		return nil, bodyError(err, limit)
	}
	return data, nil
}

// decodeFast reads the body whole and hands it to parse, a decoder of a
// common shape of dst that reports false for any other (see
// parseMetricBatch); decode then reads it as it reads any body.
func (s *Server) decodeFast(w http.ResponseWriter, r *http.Request, dst any, parse func([]byte) bool) error {
	limit := s.cfg.MaxBodyBytes
	body, err := readBody(w, r, limit)
	if err != nil {
		return err
	}
	if parse(body) {
		return nil
	}
	if err := checkJSON(body, dst); err != nil {
		return err
	}
	return decodeBody(bytes.NewReader(body), dst, limit)
}

// decodeBody reads one JSON value from a request body into dst, and nothing
// after it.
func decodeBody(body io.Reader, dst any, limit int64) error {
	dec := json.NewDecoder(body)
	dec.UseNumber()
	if err := dec.Decode(dst); err != nil {
		return bodyError(err, limit)
	}
	if _, err := dec.Token(); err != io.EOF {
		return core.Invalid("the request body holds more than one JSON value")
	}
	return nil
}

// tooLargeError is the 413 for a body over limit; what names it.
func tooLargeError(what string, limit int64) error {
	return core.Errorf(codeTooLarge, "the %s is too large: ddd takes at most %s (%d bytes)", what, core.FormatBytes(limit), limit)
}

// bodyError explains why a body could not be read.
func bodyError(err error, limit int64) error {
	var tooLarge *http.MaxBytesError
	var typeErr *json.UnmarshalTypeError
	var syntax *json.SyntaxError
	switch {
	case errors.As(err, &tooLarge):
		return tooLargeError("request body", limit)
	case errors.Is(err, io.EOF):
		return core.Invalid("the request body is empty; send a JSON object")
	case errors.As(err, &typeErr) && typeErr.Type == reflect.TypeFor[wireID]():
		return core.Invalid("field %q: an id is a string or a whole number from 0 to %d, not a JSON %s", typeErr.Field, math.MaxInt64, typeErr.Value)
	case errors.As(err, &typeErr):
		return core.Invalid("field %q: want %s, got a JSON %s", typeErr.Field, typeErr.Type, typeErr.Value)
	case errors.As(err, &syntax):
		return core.Invalid("the request body is not valid JSON: %v", syntax)
	}
	var ce *core.Error
	if errors.As(err, &ce) {
		return ce
	}
	if strings.Contains(err.Error(), "invalid number literal") {
		return core.Invalid("a value that must be a number is not one: %v", err)
	}
	return core.Invalid("cannot read the request body: %v", err)
}

// pageOf reads ?limit= and ?offset= as upstream: limit defaults to 50 and is
// clamped to [0, 200], offset defaults to 0; junk means the default.
func pageOf(r *http.Request) (core.Page, int) {
	limit, err := strconv.Atoi(r.URL.Query().Get("limit"))
	if err != nil {
		limit = 50
	}
	limit = min(max(limit, 0), 200)
	offset, err := strconv.Atoi(r.URL.Query().Get("offset"))
	if err != nil || offset < 0 {
		offset = 0
	}
	// limit=0 asks for the total only: fetch one row and drop it.
	return core.Page{Limit: max(limit, 1), Offset: offset}, limit
}

// writePage answers a paged list.
func writePage[A, B any](w http.ResponseWriter, r *http.Request, items []A, total int, convert func(A) B) error {
	p, limit := pageOf(r)
	data := mapSlice(items, convert)
	if limit == 0 {
		data = data[:0]
	}
	writeJSON(w, http.StatusOK, page[B]{Data: data, Total: total, Limit: limit, Offset: p.Offset})
	return nil
}

// getOne answers the GET of one entity, named by the path variable name,
// in its wire form: the shape of most of the API's single reads. get is a
// method expression (core.Tracker.GetModel), so the routes can be listed
// before the server has a tracker.
func getOne[E, J any](s *Server, name string, get func(core.Tracker, context.Context, string) (E, error), wire func(E) J) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		e, err := get(s.t, r.Context(), pathVar(r, name))
		if err != nil {
			return err
		}
		return ok(w, wire(e))
	}
}

// deleteOne answers the DELETE of the entity named by the path variable id.
func deleteOne(s *Server, remove func(core.Tracker, context.Context, string) error) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := remove(s.t, r.Context(), pathVar(r, "id")); err != nil {
			return err
		}
		return deleted(w)
	}
}

func created(w http.ResponseWriter, key, id string) error {
	// Written as writeJSON would write it, without reflection: the answer
	// to every single point, where encoding/json's map took a twentieth
	// of ddd's CPU. key is plain text.
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	b := make([]byte, 0, 64)
	b = append(append(append(b, `{"`...), key...), `":`...)
	_, _ = w.Write(append(appendWireID(b, id), "}\n"...))
	return nil
}

// createdIDs answers a batch with {"<key>": [ids]}, as writeJSON would write
// it but without reflection: through encoding/json, the ids of 1,000 points
// took three to four times as long (BenchmarkCreatedIDs). key is plain text.
func createdIDs(w http.ResponseWriter, key string, ids []string) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	b := append(append([]byte(`{"`), key...), `":`...)
	_, _ = w.Write(append(appendWireIDs(b, ids), "}\n"...))
	return nil
}

func updated(w http.ResponseWriter) error {
	writeJSON(w, http.StatusOK, map[string]string{"message": "UPDATED"})
	return nil
}

func deleted(w http.ResponseWriter) error {
	writeJSON(w, http.StatusOK, map[string]string{"message": "OK"})
	return nil
}

func ok(w http.ResponseWriter, v any) error {
	writeJSON(w, http.StatusOK, v)
	return nil
}
