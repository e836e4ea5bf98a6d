package daemon_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/crypto/bcrypt"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/core/duckdb"
	"github.com/deardiary/deardiary-go/daemon"
	"github.com/deardiary/deardiary-go/daemon/daemontest"
)

// fuzzServer is a server over an in-memory store holding one of everything,
// shared by a fuzz worker's executions as one daemon is shared by clients.
type fuzzServer struct {
	handler   http.Handler
	fixture   fixture
	admin     string // the default admin's id
	otherUser string
}

func newFuzzServer(t testing.TB, configure func(*daemon.Config)) *fuzzServer {
	t.Helper()
	store, err := duckdb.Open(":memory:", duckdb.WithBcryptCost(bcrypt.MinCost))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	cfg := daemon.DefaultConfig()
	cfg.AllowedHosts = []string{"ddd.test", "example.com"} // the hosts of its requests
	if configure != nil {
		configure(&cfg)
	}
	h := daemon.NewServer(store, cfg, nil)
	web := httptest.NewServer(h)
	defer web.Close()
	c := daemontest.API{T: t, Base: web.URL}
	fs := &fuzzServer{handler: h}
	if !cfg.EnableAuth {
		fs.admin = c.Expect(c.Do("GET", "/auth/me", nil), 200, "").Str("id")
		fs.otherUser = c.Expect(c.Do("POST", "/user/", map[string]string{"first_name": "O", "last_name": "U", "username": "other", "password": "pw"}), 201, "").Str("user_id")
		fs.fixture = seedFixture(t, c, map[core.Action]string{core.ActionRead: fs.otherUser})
	}
	return fs
}

// serve answers one request in process.
func (fs *fuzzServer) serve(req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	fs.handler.ServeHTTP(rec, req)
	return rec
}

// checkAnswer holds every daemontest.Answer to its contract: never a 500, an error is
// the {code, message} envelope, and a JSON daemontest.Answer is valid JSON.
func checkAnswer(t *testing.T, req *http.Request, rec *httptest.ResponseRecorder) {
	t.Helper()
	what := req.Method + " " + req.URL.String()
	if rec.Code >= 500 {
		t.Fatalf("%s: %d %s", what, rec.Code, rec.Body)
	}
	if rec.Code >= 400 {
		var env map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil {
			t.Fatalf("%s: %d with a body that is not JSON: %q", what, rec.Code, rec.Body)
		}
		if code, _ := env["code"].(string); code == "" {
			t.Fatalf("%s: %d without an error code: %s", what, rec.Code, rec.Body)
		}
		if msg, _ := env["message"].(string); msg == "" {
			t.Fatalf("%s: %d without a message: %s", what, rec.Code, rec.Body)
		}
		return
	}
	if strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") && !json.Valid(rec.Body.Bytes()) {
		t.Fatalf("%s: %d with invalid JSON: %q", what, rec.Code, rec.Body)
	}
}

// fuzzBoundary is the multipart boundary of the resource routes' bodies.
const fuzzBoundary = "fuzzboundary"

// FuzzHandlers sends arbitrary bodies, queries and path values to every
// route (auth off, so each reaches its decoder and handler) and holds the
// answers to their contract; the server must also outlive them all.
//
//	go test ./daemon/ -run '^$' -fuzz FuzzHandlers -fuzztime 5m
func FuzzHandlers(f *testing.F) {
	rules := daemon.RouteRules()
	multipart := "--" + fuzzBoundary + "\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nweights\r\n--" + fuzzBoundary +
		"\r\nContent-Disposition: form-data; name=\"data\"; filename=\"w.bin\"\r\n\r\nbytes\r\n--" + fuzzBoundary + "--\r\n"
	bodies := []string{
		``, `{}`, `[]`, `null`, `{"name":"n","description":"d"}`, `{"key":"loss","value":0.5,"step":3}`,
		`{"key":"lr","value":"1e-3"}`, `{"metrics":[{"key":"a","value":1},{"key":"a","value":2,"step":1}]}`,
		`{"params":[{"key":"p","value":{"nested":[1,2]}}],"metrics":[{"key":"m","value":1e308}],"tags":["t"]}`,
		`{"value":"tag"}`, `{"username":"u","password":"p","first_name":"f","last_name":"l"}`,
		`{"status_id":3,"notes":"x","end_date":"2026-01-02T03:04:05"}`, `{"iteration_id":"x","description":"v"}`,
		`{"iteration_id":7,"resource_id":null}`, `{"iteration_id":1.5}`,
		`{"files":[{"path":"go.sum","content":"eA=="}],"runtime":"go"}`, `{"value":NaN}`, `{"step":-1,"value":1}`,
		`{"create_permission":true,"read_permission":1}`, multipart,
	}
	queries := []string{"", "limit=2&offset=1", "key=loss&max_points=3", "filter=metrics.loss%20%3C%201", "limit=-1", "offset=x"}
	for i, rule := range rules {
		for j, body := range bodies {
			if (rule.Method == "GET" || rule.Method == "DELETE") != (body == "") {
				continue
			}
			if strings.HasPrefix(rule.Path, "/resource/") != (body == multipart) && body != "" {
				continue
			}
			f.Add(uint8(i), "", queries[(i+j)%len(queries)], []byte(body))
		}
	}
	f.Add(uint8(0), "../x", "", []byte(`{"key":"k","value":1}`))
	f.Add(uint8(1), "%zz", "max_points=0", []byte(`{`))
	fs := newFuzzServer(f, nil)
	f.Fuzz(func(t *testing.T, route uint8, pathValue, query string, body []byte) {
		rule := rules[int(route)%len(rules)]
		target := fs.target(rule, pathValue)
		if query != "" {
			if strings.Contains(target, "?") {
				target += "&" + query
			} else {
				target += "?" + query
			}
		}
		u, err := url.Parse(target)
		if err != nil {
			return // no client can send it
		}
		req := httptest.NewRequest(rule.Method, "http://ddd.test/", strings.NewReader(string(body)))
		req.URL, req.RequestURI = u, u.RequestURI()
		req.Header.Set("Content-Type", "application/json")
		if strings.HasPrefix(rule.Path, "/resource/") {
			req.Header.Set("Content-Type", "multipart/form-data; boundary="+fuzzBoundary)
		}
		checkAnswer(t, req, fs.serve(req))
	})
}

// target is the path a fuzz input calls: the route's variables from the
// fixture, except the last, which the input replaces when it gives one. A
// DELETE never names the fixture, which must outlive the run.
func (fs *fuzzServer) target(rule daemon.RouteRule, pathValue string) string {
	p := fs.fixture.path(rule.Path, fs.admin, fs.otherUser)
	if pathValue == "" && rule.Method != "DELETE" {
		return p
	}
	if pathValue == "" {
		pathValue = "not-an-id"
	}
	last := strings.LastIndex(rule.Path, "{")
	if last < 0 {
		return p
	}
	// The route and its filled path share everything before the variable.
	prefix := p[:last]
	rest := p[last:]
	end := strings.IndexAny(rest, "/?")
	if end < 0 {
		end = len(rest)
	}
	return prefix + url.PathEscape(pathValue) + rest[end:]
}

// FuzzAuthHeader sends arbitrary Authorization headers to a daemon with
// auth on: whatever the header, a 401 envelope and never a way in.
func FuzzAuthHeader(f *testing.F) {
	const secret = "fuzz-secret-that-is-not-the-default"
	valid, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "default", "id": "x", "exp": time.Now().Add(time.Hour).Unix()}).SignedString([]byte("another-secret"))
	for _, h := range []string{"", "Bearer ", "Bearer " + valid, "bearer x.y.z", "Basic ZGVmYXVsdDpkZWZhdWx0", noneToken("x"),
		"Bearer eyJhbGciOiJIUzI1NiJ9.e30.", "Bearer ....", "Bearer " + strings.Repeat("a", 5000)} {
		f.Add(h)
	}
	fs := newFuzzServer(f, func(c *daemon.Config) { c.EnableAuth, c.JWTSecret = true, secret })
	f.Fuzz(func(t *testing.T, header string) {
		if strings.ContainsFunc(header, func(r rune) bool { return r < ' ' && r != '\t' || r == 0x7f }) {
			return // net/http refuses such a header before any handler sees it
		}
		req := httptest.NewRequest("GET", "/project/", nil)
		req.Header.Set("Authorization", header)
		rec := fs.serve(req)
		checkAnswer(t, req, rec)
		if rec.Code != http.StatusUnauthorized {
			t.Fatalf("Authorization %q: %d %s", header, rec.Code, rec.Body)
		}
	})
}
