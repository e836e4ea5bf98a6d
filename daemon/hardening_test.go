package daemon_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/daemon"
	"github.com/deardiary/deardiary-go/daemon/daemontest"
)

// TestNewExperimentIsInProgress: a new experiment starts IN_PROGRESS; any
// other status_id in the request, defined or not, is a 422 and creates
// nothing.
func TestNewExperimentIsInProgress(t *testing.T) {
	t.Parallel()
	m := startServer(t, nil)
	c := daemontest.API{T: t, Base: m.URL}
	p, _, _ := c.Seed()
	for _, status := range []any{2, 3, 9, 0, -1, "1"} {
		c.Expect(c.Do("POST", "/experiment/project/"+p, map[string]any{"status_id": status, "name": "E2"}), 422, core.EInvalid)
	}
	if n := c.Expect(c.Do("GET", "/experiment/project/"+p, nil), 200, "").JSON()["total"]; n != float64(1) {
		t.Fatalf("%v experiments after the refused creates, want the seeded one", n)
	}
	for _, body := range []map[string]any{{"status_id": 1, "name": "E2"}, {"name": "E3"}} {
		id := c.Expect(c.Do("POST", "/experiment/project/"+p, body), 201, "").ID("experiment_id")
		if got := c.Expect(c.Do("GET", "/experiment/"+id, nil), 200, "").JSON()["status_id"]; got != float64(core.ExperimentInProgress) {
			t.Fatalf("%v: status_id %v", body, got)
		}
	}
}

// TestStrictJSON: what encoding/json would read loosely is a 422 on every
// JSON route, and changes nothing; unknown fields stay allowed.
func TestStrictJSON(t *testing.T) {
	t.Parallel()
	m := startServer(t, nil)
	c := daemontest.API{T: t, Base: m.URL}
	p, e, it := c.Seed()
	mid := c.Expect(c.Do("POST", "/metric/iteration/"+it, `{"key": "loss", "value": 1}`), 201, "").ID("metric_id")
	model := c.Expect(c.Do("POST", "/model/project/"+p, `{"name": "m"}`), 201, "").ID("model_id")
	before := checksum(t, m)
	for _, tc := range []struct{ method, path, body, says string }{
		// Text that is not UTF-8, which encoding/json keeps as U+FFFD.
		{"POST", "/project/", "{\"name\": \"caf\xe9\"}", "not UTF-8"},
		{"POST", "/project/", `{"name": "x\ud800y"}`, "surrogate"},
		{"POST", "/project/", `{"name": "x\udc00"}`, "surrogate"},
		{"POST", "/project/", `{"name": "x\ud800\u0041"}`, "surrogate"},
		{"POST", "/metric/iteration/" + it, "{\"key\": \"lo\xffss\", \"value\": 1}", "not UTF-8"},
		{"POST", "/metric/iteration/" + it + "/batch", "{\"metrics\": [{\"key\": \"ok\", \"value\": 1}, {\"key\": \"\xc3\", \"value\": 1}]}", "metrics[1].key"},
		{"PATCH", "/iteration/" + it, "{\"notes\": \"\xed\xa0\x80\"}", "not UTF-8"},
		{"POST", "/iteration/" + it + "/batch", "{\"params\": [{\"key\": \"k\", \"value\": \"\xff\"}]}", "params[0].value"},
		// Fields given twice, at any depth.
		{"POST", "/project/", `{"name": "a", "name": "b"}`, `"name" is given twice`},
		{"POST", "/project/", `{"name": "a", "n\u0061me": "b"}`, "twice"},
		{"POST", "/project/", `{"name": "a", "extra": 1, "extra": 2}`, "twice"},
		{"POST", "/metric/iteration/" + it + "/batch", `{"metrics": [{"key": "a", "value": 1, "value": 2}]}`, "metrics[0]"},
		{"POST", "/iteration/" + it + "/batch", `{"params": [{"key": "k", "value": {"a": 1, "a": 2}}]}`, "params[0].value"},
		{"POST", "/iteration/" + it + "/batch", `{"tags": ["t"], "tags": ["u"]}`, "twice"},
		// Field names that match only when case is ignored.
		{"POST", "/project/", `{"Name": "x"}`, `"Name"`},
		{"POST", "/metric/iteration/" + it, "{\"\u212aey\": \"loss\", \"value\": 1}", "spelled"},
		{"POST", "/metric/iteration/" + it + "/batch", `{"Metrics": [{"key": "a", "value": 1}]}`, "spelled"},
		{"POST", "/iteration/" + it + "/batch", `{"params": [{"KEY": "k", "value": 1}]}`, "params[0]"},
		{"PATCH", "/experiment/" + e, `{"Status_ID": 3}`, "spelled"},
		{"POST", "/user/", `{"username": "u", "Password": "p"}`, "spelled"},
		// A metric's value is a JSON number, not a string holding one.
		{"POST", "/metric/iteration/" + it, `{"key": "loss", "value": "0.5"}`, "want a JSON number"},
		{"POST", "/metric/iteration/" + it + "/batch", `{"metrics": [{"key": "loss", "value": "0.5"}]}`, "metrics[0].value"},
		{"POST", "/iteration/" + it + "/batch", `{"metrics": [{"key": "loss", "value": "1e3"}]}`, "metrics[0].value"},
		{"PATCH", "/metric/" + mid, `{"value": "2"}`, "want a JSON number"},
		// Two parameters of one key in a batch.
		{"POST", "/iteration/" + it + "/batch", `{"params": [{"key": "lr", "value": 1}, {"key": "lr", "value": 2}]}`, `"lr" is given twice`},
		// NUL in names and keys.
		{"POST", "/project/", `{"name": "a\u0000b"}`, "NUL"},
		{"POST", "/experiment/project/" + p, `{"name": "a\u0000b"}`, "NUL"},
		{"POST", "/model/project/" + p, `{"name": "\u0000"}`, "NUL"},
		{"PATCH", "/model/" + model, `{"name": "m\u0000"}`, "NUL"},
		{"POST", "/tag/iteration/" + it, `{"value": "t\u0000"}`, "NUL"},
		{"POST", "/user/", `{"username": "u\u0000", "password": "p"}`, "NUL"},
		{"POST", "/metric/iteration/" + it, `{"key": "lo\u0000ss", "value": 1}`, "NUL"},
		{"POST", "/parameter/iteration/" + it, `{"key": "l\u0000r", "value": 1}`, "NUL"},
		{"POST", "/iteration/" + it + "/batch", `{"params": [{"key": "\u0000", "value": 1}]}`, "NUL"},
	} {
		if a := c.Do(tc.method, tc.path, tc.body); a.Status != 422 || a.Str("code") != core.EInvalid || !strings.Contains(a.Str("message"), tc.says) {
			t.Errorf("%s %s %q: %d %s, want 422 saying %q", tc.method, tc.path, tc.body, a.Status, a.Body, tc.says)
		}
	}
	if after := checksum(t, m); after != before {
		t.Fatal("a refused request changed the database")
	}
	// Unknown fields are ignored, as upstream, and the ordinary shapes pass.
	c.Expect(c.Do("POST", "/project/", `{"name": "ok", "colour": "blue", "nested": {"a": [1, {"b": null}]}}`), 201, "")
	c.Expect(c.Do("POST", "/project/", "{\"\u212aey\": \"x\", \"name\": \"ok2\"}"), 201, "") // K(elvin)ey is no field of a project
	c.Expect(c.Do("POST", "/metric/iteration/"+it, `{"key": "caf\u00e9 \ud83d\ude00", "value": -1.5e-3, "unit": "s"}`), 201, "")
	c.Expect(c.Do("POST", "/iteration/"+it+"/batch", `{"params": [{"key": "lr", "value": "0.5"}, {"key": "n", "value": 3}], "metrics": [{"key": "a", "value": 1}], "tags": ["x"]}`), 201, "")
}

// checksum is the database's checksum, to tell that refusals changed nothing.
func checksum(t *testing.T, m *testServer) string {
	t.Helper()
	sum, err := m.Store.Checksum(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

// TestTokensEndWithPasswordOrRole: a token stops working once its user's
// password changes, or the user is made or unmade an admin; tokens issued
// after work. The token keeps upstream's claims.
func TestTokensEndWithPasswordOrRole(t *testing.T) {
	t.Parallel()
	const secret = "hardening-secret-that-is-not-the-default"
	m := startServer(t, func(c *daemon.Config) { c.EnableAuth, c.JWTSecret = true, secret })
	anon := daemontest.API{T: t, Base: m.URL}
	login := func(user, password string) daemontest.API {
		t.Helper()
		return anon.As(anon.Expect(anon.Do("POST", "/auth", map[string]string{"username": user, "password": password}), 200, "").Str("access_token"))
	}
	admin := login("default", "default")
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(admin.Token, claims); err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"sub", "id", "exp"} {
		if claims[c] == nil {
			t.Fatalf("the token lacks upstream's claim %q: %v", c, claims)
		}
	}
	ada := admin.Expect(admin.Do("POST", "/user/", map[string]string{"username": "ada", "password": "first"}), 201, "").Str("user_id")
	old := login("ada", "first")
	old.Expect(old.Do("GET", "/auth/me", nil), 200, "")
	other := login("ada", "first")

	// Her own change of password ends both her tokens.
	old.Expect(old.Do("PATCH", "/user/"+ada, map[string]string{"password": "second"}), 200, "")
	for _, tok := range []daemontest.API{old, other} {
		a := tok.Expect(tok.Do("GET", "/auth/me", nil), 401, core.ETokenInvalid)
		if !strings.Contains(a.Str("message"), "sign in again") {
			t.Fatalf("stale token: %s", a.Body)
		}
		tok.Expect(tok.Do("POST", "/auth/refresh", nil), 401, core.ETokenInvalid)
	}
	fresh := login("ada", "second")
	fresh.Expect(fresh.Do("GET", "/auth/me", nil), 200, "")

	// An admin's change of her password, too.
	admin.Expect(admin.Do("PATCH", "/user/"+ada, map[string]string{"password": "third"}), 200, "")
	fresh.Expect(fresh.Do("GET", "/auth/me", nil), 401, core.ETokenInvalid)

	// Made an admin, then unmade: each ends the tokens before it.
	asUser := login("ada", "third")
	admin.Expect(admin.Do("PATCH", "/user/"+ada, map[string]any{"is_admin": true}), 200, "")
	asUser.Expect(asUser.Do("GET", "/auth/me", nil), 401, core.ETokenInvalid)
	asAdmin := login("ada", "third")
	asAdmin.Expect(asAdmin.Do("GET", "/user/", nil), 200, "")
	admin.Expect(admin.Do("PATCH", "/user/"+ada, map[string]any{"is_admin": false}), 200, "")
	asAdmin.Expect(asAdmin.Do("GET", "/user/", nil), 401, core.ETokenInvalid)
	login("ada", "third").Expect(login("ada", "third").Do("GET", "/user/", nil), 403, core.EAdminRequired)

	// Changing her name changes nothing of the kind; nor does another
	// user's change.
	now := login("ada", "third")
	admin.Expect(admin.Do("PATCH", "/user/"+ada, map[string]any{"first_name": "Ada"}), 200, "")
	admin.Expect(admin.Do("POST", "/user/", map[string]string{"username": "bob", "password": "pw"}), 201, "")
	now.Expect(now.Do("GET", "/auth/me", nil), 200, "")
	admin.Expect(admin.Do("GET", "/auth/me", nil), 200, "")

	// A token signed with the secret but without the fingerprint (an older
	// ddd's, or one made by hand) is refused.
	bare := sign(t, secret, jwt.MapClaims{"sub": "ada", "id": ada, "exp": time.Now().Add(time.Hour).Unix()})
	anon.Expect(anon.Do("GET", "/auth/me", nil, "Authorization", "Bearer "+bare), 401, core.ETokenInvalid)

	// The Go client, signed in with a password, changes its own and
	// carries on.
	c, err := daemon.Connect(context.Background(), m.URL, daemon.Options{Username: "ada", Password: "third"})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.UpdateUser(context.Background(), ada, core.UserUpdate{Password: new("fourth")}); err != nil {
		t.Fatal(err)
	}
	if u, err := c.Me(context.Background()); err != nil || u.Username != "ada" {
		t.Fatalf("after its password change the client is %v, %v", u, err)
	}
}

// TestWebPagesAreKeptOut: by default no web page may use the API, however
// its browser sends the request: CORS allows no origin, a request
// addressed to a name ddd does not know (DNS rebinding) is refused, a
// change sent by a page of another site is refused, and a JSON route takes
// only JSON. What ddd's clients send still passes.
func TestWebPagesAreKeptOut(t *testing.T) {
	t.Parallel()
	m := startServer(t, nil)
	c := daemontest.API{T: t, Base: m.URL}
	p, e, _ := c.Seed()
	before := checksum(t, m)
	const evil = "https://evil.example"

	// No CORS: neither a preflight nor a request lets any origin read.
	for _, a := range []daemontest.Answer{
		c.Do("OPTIONS", "/project/", nil, "Origin", evil, "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "content-type"),
		c.Do("GET", "/project/", nil, "Origin", evil),
	} {
		if got := a.Header.Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("Access-Control-Allow-Origin %q for %s by default", got, evil)
		}
	}

	// Bodies that are not JSON, as a page's form or fetch sends them
	// without asking first.
	for _, ctype := range []string{"text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""} {
		a := c.Do("POST", "/project/", `{"name": "from a web page"}`, "Content-Type", ctype)
		c.Expect(a, 415, "UNSUPPORTED_MEDIA_TYPE")
		if !strings.Contains(a.Str("message"), "application/json") {
			t.Errorf("Content-Type %q: %s does not say what to send", ctype, a.Body)
		}
	}
	c.Expect(c.Do("POST", "/iteration/experiment/"+e, "", "Content-Type", "text/plain"), 415, "UNSUPPORTED_MEDIA_TYPE")
	c.Expect(c.Do("PATCH", "/project/"+p, `{"name": "x"}`, "Content-Type", "text/plain"), 415, "UNSUPPORTED_MEDIA_TYPE")

	// A change sent by a page of another site, even without a body.
	c.Expect(c.Do("POST", "/iteration/experiment/"+e, nil, "Origin", evil, "Sec-Fetch-Site", "cross-site"), 403, "CROSS_ORIGIN_REFUSED")
	c.Expect(c.Do("POST", "/iteration/experiment/"+e, nil, "Origin", evil), 403, "CROSS_ORIGIN_REFUSED") // a browser without Sec-Fetch-Site
	c.Expect(c.Do("POST", "/iteration/experiment/"+e, nil, "Origin", "http://localhost:3000", "Sec-Fetch-Site", "same-site"), 403, "CROSS_ORIGIN_REFUSED")

	// A request addressed to a name that is not ddd's (DNS rebinding).
	for _, host := range []string{"evil.example", "evil.example:9000", "localhost.evil.example", "127.0.0.1.nip.io"} {
		a := c.Do("POST", "/project/", `{"name": "rebound"}`, "Host", host)
		c.Expect(a, 403, "HOST_NOT_ALLOWED")
		if !strings.Contains(a.Str("message"), "DEARDIARY_ALLOWED_HOSTS") {
			t.Errorf("Host %s: %s does not say how to allow it", host, a.Body)
		}
		c.Expect(c.Do("GET", "/project/", nil, "Host", host), 403, "HOST_NOT_ALLOWED")
	}
	if after := checksum(t, m); after != before {
		t.Fatal("a refused request changed the database")
	}

	// What clients send passes: IP addresses and localhost, JSON with or
	// without parameters, no body without a type, and a browser's own
	// same-origin request.
	port := m.URL[strings.LastIndex(m.URL, ":")+1:]
	for _, host := range []string{"127.0.0.1:" + port, "localhost:" + port, "LOCALHOST", "localhost.", "[::1]:" + port, "10.1.2.3"} {
		c.Expect(c.Do("GET", "/project/", nil, "Host", host), 200, "")
	}
	for _, ctype := range []string{"application/json", "application/json; charset=utf-8", "Application/JSON"} {
		c.Expect(c.Do("POST", "/tag/iteration/"+c.Expect(c.Do("POST", "/iteration/experiment/"+e, nil), 201, "").ID("iteration_id"),
			`{"value": "ok"}`, "Content-Type", ctype), 201, "")
	}
	c.Expect(c.Do("POST", "/project/", `{"name": "same origin"}`, "Origin", m.URL, "Sec-Fetch-Site", "same-origin"), 201, "")
	body, ctype := multipartBody(t, map[string]string{"name": "weights"}, []byte("w"))
	c.Expect(c.Do("POST", "/resource/experiment/"+e, body, "Content-Type", ctype), 201, "")
	c.Expect(c.Do("POST", "/resource/experiment/"+e, `{"name": "x"}`), 422, core.EInvalid) // uploads stay multipart
}

// TestAllowedOriginsAndHosts: the origins and host names configured are let
// in, and "*" lets in any, as it did before it had to be asked for.
func TestAllowedOriginsAndHosts(t *testing.T) {
	t.Parallel()
	const lab = "https://lab.example"
	m := startServer(t, func(c *daemon.Config) { c.CORSOrigins, c.AllowedHosts = []string{lab}, []string{"ddd.lab.example"} })
	c := daemontest.API{T: t, Base: m.URL}
	_, e, _ := c.Seed()
	c.Expect(c.Do("POST", "/iteration/experiment/"+e, nil, "Origin", lab, "Sec-Fetch-Site", "cross-site"), 201, "")
	c.Expect(c.Do("POST", "/iteration/experiment/"+e, nil, "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site"), 403, "CROSS_ORIGIN_REFUSED")
	for _, host := range []string{"ddd.lab.example", "DDD.lab.example:9000", "ddd.lab.example."} {
		c.Expect(c.Do("GET", "/project/", nil, "Host", host), 200, "")
	}
	c.Expect(c.Do("GET", "/project/", nil, "Host", "lab.example"), 403, "HOST_NOT_ALLOWED")

	open := startServer(t, func(c *daemon.Config) { c.CORSOrigins, c.AllowedHosts = []string{"*"}, []string{"*"} })
	c = daemontest.API{T: t, Base: open.URL}
	_, e, _ = c.Seed()
	a := c.Expect(c.Do("POST", "/iteration/experiment/"+e, nil, "Origin", "https://any.example", "Sec-Fetch-Site", "cross-site", "Host", "any.example"), 201, "")
	if got := a.Header.Get("Access-Control-Allow-Origin"); got != "*" {
		t.Fatalf("with CORS origins *: Access-Control-Allow-Origin %q", got)
	}
	// Not even "*" takes a body that is not JSON.
	c.Expect(c.Do("POST", "/project/", `{"name": "x"}`, "Content-Type", "text/plain"), 415, "UNSUPPORTED_MEDIA_TYPE")

	for name, cfg := range map[string]daemon.Config{
		"origin without scheme": {CORSOrigins: []string{"lab.example"}},
		"origin with a path":    {CORSOrigins: []string{"https://lab.example/app"}},
		"host with a scheme":    {AllowedHosts: []string{"https://ddd.lab"}},
		"empty host":            {AllowedHosts: []string{""}},
	} {
		def := daemon.DefaultConfig()
		def.CORSOrigins, def.AllowedHosts = cfg.CORSOrigins, cfg.AllowedHosts
		if err := def.Validate(); core.ErrorCode(err) != core.EInvalid {
			t.Errorf("%s: %v", name, err)
		}
	}
}
