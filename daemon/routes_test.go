package daemon_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/daemon"
)

// api is a raw HTTP view of a daemon, for checking the wire itself.
type api struct {
	t     testing.TB
	base  string
	token string
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) json() map[string]any {
	var m map[string]any
	_ = json.Unmarshal(a.body, &m)
	return m
}

func (a answer) list() []any {
	var l []any
	_ = json.Unmarshal(a.body, &l)
	return l
}

func (a answer) str(key string) string {
	s, _ := a.json()[key].(string)
	return s
}

func (c api) do(method, path string, body any, headers ...string) answer {
	c.t.Helper()
	var reader io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		reader = strings.NewReader(b)
	case []byte:
		reader = bytes.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		reader = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, c.base+path, reader)
	if err != nil {
		c.t.Fatal(err)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, b}
}

// expect fails unless the answer has the status and, for errors, the code.
func (c api) expect(a answer, status int, code string) answer {
	c.t.Helper()
	if a.status != status {
		c.t.Fatalf("status %d, want %d: %s", a.status, status, a.body)
	}
	if code != "" {
		env := a.json()
		if env["code"] != code || env["message"] == "" {
			c.t.Fatalf("envelope %s, want code %s and a message", a.body, code)
		}
	}
	return a
}

func (c api) as(token string) api { c.token = token; return c }

// seed makes a project, an experiment and an iteration through the API.
func (c api) seed() (project, experiment, iteration string) {
	c.t.Helper()
	project = c.expect(c.do("POST", "/project/", map[string]any{"name": "P"}), 201, "").str("project_id")
	experiment = c.expect(c.do("POST", "/experiment/project/"+project, map[string]any{"status_id": 1, "name": "E"}), 201, "").str("experiment_id")
	iteration = c.expect(c.do("POST", "/iteration/experiment/"+experiment, nil), 201, "").str("iteration_id")
	return
}

func TestWireBasics(t *testing.T) {
	m := startDaemon(t, nil)
	c := api{t: t, base: m.URL}
	h := c.expect(c.do("GET", "/health", nil), 200, "").json()
	if h["app_name"] != "DearDiary" || h["package_version"] != daemon.Version || h["server_time"] == "" {
		t.Fatalf("health = %v", h)
	}
	c.expect(c.do("GET", "/no/such/route", nil), 404, core.ENotFound)
	p, e, it := c.seed()
	// Both /project and /project/ reach the same handler.
	if n := len(c.expect(c.do("GET", "/project", nil), 200, "").list()); n != 1 {
		t.Fatalf("projects = %d", n)
	}
	for range 4 {
		c.expect(c.do("POST", "/experiment/project/"+p+"/", map[string]any{"status_id": 1, "name": "E"}), 201, "")
	}
	page := func(query string) map[string]any {
		return c.expect(c.do("GET", "/experiment/project/"+p+query, nil), 200, "").json()
	}
	for query, want := range map[string]string{
		"":                     "5 50 0 5",
		"?limit=2&offset=1":    "2 2 1 5",
		"?limit=99999":         "5 200 0 5",
		"?limit=abc&offset=-5": "5 50 0 5",
		"?limit=0":             "0 0 0 5",
		"?limit=10&offset=99":  "0 10 99 5",
	} {
		pg := page(query)
		got := fmt.Sprintf("%d %v %v %v", len(pg["data"].([]any)), pg["limit"], pg["offset"], pg["total"])
		if got != want {
			t.Errorf("%q: data limit offset total = %s, want %s", query, got, want)
		}
	}
	iter := c.expect(c.do("GET", "/iteration/"+it, nil), 200, "").json()
	if iter["end_date"] != nil || iter["parent_iteration_id"] != nil || iter["status_id"] != float64(1) || iter["notes"] != "" || iter["git_dirty"] != false {
		t.Fatalf("iteration JSON = %v", iter)
	}
	c.expect(c.do("GET", "/experiment/00000000-0000-0000-0000-000000000000", nil), 404, core.ENotFound)
	c.expect(c.do("POST", "/experiment/project/nope", map[string]any{"status_id": 1, "name": "E"}), 422, core.EInvalid)
	c.expect(c.do("POST", "/iteration/experiment/"+e+"?parent_iteration_id=notanid", nil), 422, core.EInvalid)
	c.expect(c.do("POST", "/metric/iteration/"+it, `{"key": "loss", "value": "high"}`), 422, core.EInvalid)
	c.expect(c.do("POST", "/metric/iteration/"+it, `{"key": "loss"`), 422, core.EInvalid)
	c.expect(c.do("POST", "/metric/iteration/"+it, `{"key": "loss", "value": 1, "recorded_at": "yesterday"}`), 422, core.EInvalid)
	c.expect(c.do("PATCH", "/project/"+p, map[string]any{}), 200, "") // all-null PATCH: a no-op
	c.expect(c.do("DELETE", "/userpermission/nope", nil), 404, core.ENotFound)
	model := c.expect(c.do("POST", "/model/project/"+p, map[string]any{"name": "m", "description": nil}), 201, "").str("model_id")
	c.expect(c.do("POST", "/model/project/"+p, map[string]any{"name": "m"}), 409, core.EConflict)
	c.expect(c.do("GET", "/model/"+model, nil), 200, "")

	// Metrics: upstream's explicit step and time, and a batch in order.
	mid := c.expect(c.do("POST", "/metric/iteration/"+it, map[string]any{"key": "loss", "value": 0.5, "step": 9, "recorded_at": "2025-03-04T18:30:00"}), 201, "").str("metric_id")
	got := c.expect(c.do("GET", "/metric/"+mid, nil), 200, "").json()
	if got["step"] != float64(9) || got["recorded_at"] != "2025-03-04T18:30:00.000" {
		t.Fatalf("metric = %v", got)
	}
	ids := c.expect(c.do("POST", "/metric/iteration/"+it+"/batch", map[string]any{"step": 12, "recorded_at": "2025-03-04T18:30:00",
		"metrics": []map[string]any{{"key": "a", "value": 1}, {"key": "b", "value": 2}, {"key": "a", "value": 3}}}), 201, "").json()["metric_ids"].([]any)
	if len(ids) != 3 {
		t.Fatalf("batch ids = %v", ids)
	}
	third := c.expect(c.do("GET", "/metric/"+ids[2].(string), nil), 200, "").json()
	if third["key"] != "a" || third["value"] != float64(3) || third["step"] != float64(12) {
		t.Fatalf("third batch point = %v", third)
	}
	c.expect(c.do("GET", "/metric/history?key=loss&iteration_id="+it+"&max_points=x", nil), 422, core.EInvalid)
	hist := c.expect(c.do("GET", "/metric/history?key=loss&iteration_id="+it, nil), 200, "").list()
	if len(hist) != 1 {
		t.Fatalf("history = %s", hist)
	}

	// Parameters take strings, numbers and booleans.
	for value, want := range map[string]string{`"adam"`: "adam", `32`: "32", `0.01`: "0.01", `true`: "true", `1e-5`: "1.0e-5"} {
		id := c.expect(c.do("POST", "/parameter/iteration/"+it, `{"key": "k", "value": `+value+`}`), 201, "").str("parameter_id")
		if v := c.expect(c.do("GET", "/parameter/"+id, nil), 200, "").str("value"); v != want {
			t.Errorf("parameter %s stored as %q, want %q", value, v, want)
		}
	}
	c.expect(c.do("POST", "/parameter/iteration/"+it, `{"key": "k", "value": [1]}`), 422, core.EInvalid)

	// A locked iteration says why.
	c.expect(c.do("PATCH", "/iteration/"+it, map[string]any{"status_id": 2}), 200, "")
	locked := c.expect(c.do("POST", "/metric/iteration/"+it, map[string]any{"key": "loss", "value": 1}), 422, core.EInvalid)
	if locked.json()["reason"] != "ITERATION_LOCKED" {
		t.Fatalf("locked envelope = %s", locked.body)
	}
}

func TestLimits(t *testing.T) {
	m := startDaemon(t, func(c *daemon.Config) { c.MaxBodyBytes = 4096; c.MaxUploadBytes = 1 << 20 })
	c := api{t: t, base: m.URL}
	_, e, it := c.seed()
	c.expect(c.do("POST", "/metric/iteration/"+it, `{"key": "`+strings.Repeat("x", 5000)+`", "value": 1}`), 413, "PAYLOAD_TOO_LARGE")
	batch := func(kind string, n int) map[string]any {
		body := map[string]any{}
		switch kind {
		case "metrics":
			var ms []map[string]any
			for i := range n {
				ms = append(ms, map[string]any{"key": "k", "value": i})
			}
			body["metrics"] = ms
		case "params":
			var ps []map[string]any
			for i := range n {
				ps = append(ps, map[string]any{"key": fmt.Sprint("p", i), "value": i})
			}
			body["params"] = ps
		case "tags":
			var ts []string
			for i := range n {
				ts = append(ts, fmt.Sprint("t", i))
			}
			body["tags"] = ts
		}
		return body
	}
	m2 := startDaemon(t, nil)
	c2 := api{t: t, base: m2.URL}
	_, _, it2 := c2.seed()
	for kind, limit := range map[string]int{"metrics": daemon.MaxBatchMetrics, "params": daemon.MaxBatchParams, "tags": daemon.MaxBatchTags} {
		c2.expect(c2.do("POST", "/iteration/"+it2+"/batch", batch(kind, limit)), 201, "")
		a := c2.expect(c2.do("POST", "/iteration/"+it2+"/batch", batch(kind, limit+1)), 422, core.EInvalid)
		if !strings.Contains(a.str("message"), "at most") {
			t.Errorf("%s over the limit: %s", kind, a.body)
		}
	}
	// An upload over the limit is refused and leaves nothing behind.
	body, ctype := multipartBody(t, map[string]string{"name": "big"}, bytes.Repeat([]byte("x"), 2<<20))
	c.expect(c.do("POST", "/resource/experiment/"+e, body, "Content-Type", ctype), 413, "PAYLOAD_TOO_LARGE")
	if n := c.expect(c.do("GET", "/resource/experiment/"+e, nil), 200, "").json()["total"]; n != float64(0) {
		t.Fatalf("resources after a refused upload: %v", n)
	}
}

func multipartBody(t testing.TB, fields map[string]string, data []byte) ([]byte, string) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	if name, ok := fields["first"]; ok && name == "data" {
		part, _ := w.CreateFormFile("data", "weights.bin")
		part.Write(data)
		data = nil
	}
	for k, v := range fields {
		if k != "first" {
			w.WriteField(k, v)
		}
	}
	if data != nil {
		part, _ := w.CreateFormFile("data", "weights.bin")
		part.Write(data)
	}
	w.Close()
	return b.Bytes(), w.FormDataContentType()
}

func TestResourcesOverTheWire(t *testing.T) {
	m := startDaemon(t, nil)
	c := api{t: t, base: m.URL}
	_, e, _ := c.seed()
	data := bytes.Repeat([]byte{0, 1, 2, 255}, 256)
	for _, order := range []string{"fields first", "data"} {
		fields := map[string]string{"name": "model_weights"}
		if order == "data" {
			fields["first"] = "data"
		}
		body, ctype := multipartBody(t, fields, data)
		id := c.expect(c.do("POST", "/resource/experiment/"+e, body, "Content-Type", ctype), 201, "").str("resource_id")
		meta := c.expect(c.do("GET", "/resource/"+id, nil), 200, "").json()
		if meta["size_bytes"] != float64(1024) || meta["content_hash"] == "" || meta["data"] != nil || meta["name"] != "model_weights" {
			t.Fatalf("%s: metadata %v", order, meta)
		}
		got := c.expect(c.do("GET", "/resource/"+id+"/data", nil), 200, "")
		if !bytes.Equal(got.body, data) || got.header.Get("Content-Type") != "application/octet-stream" || got.header.Get("Content-Length") != "1024" {
			t.Fatalf("%s: data %d bytes, headers %v", order, len(got.body), got.header)
		}
	}
	body, ctype := multipartBody(t, map[string]string{"description": "no name"}, data)
	c.expect(c.do("POST", "/resource/experiment/"+e, body, "Content-Type", ctype), 422, core.EInvalid)
	c.expect(c.do("POST", "/resource/experiment/"+e, `{"name": "x"}`), 422, core.EInvalid)
}

func TestCORS(t *testing.T) {
	m := startDaemon(t, func(c *daemon.Config) { c.CORSOrigins = []string{"https://lab.example"} })
	c := api{t: t, base: m.URL}
	pre := c.expect(c.do("OPTIONS", "/project/", nil, "Origin", "https://lab.example", "Access-Control-Request-Method", "POST"), 204, "")
	if pre.header.Get("Access-Control-Allow-Origin") != "https://lab.example" || pre.header.Get("Access-Control-Allow-Credentials") != "true" ||
		!strings.Contains(pre.header.Get("Access-Control-Allow-Headers"), "Authorization") || pre.header.Get("Access-Control-Max-Age") != "600" {
		t.Fatalf("preflight headers = %v", pre.header)
	}
	other := c.do("GET", "/health", nil, "Origin", "https://evil.example")
	if other.header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatal("an origin not in the list was allowed")
	}
}

// sign makes a token with the given claims and secret.
func sign(t *testing.T, secret string, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestAuth(t *testing.T) {
	const secret = "test-secret-that-is-not-the-default"
	m := startDaemon(t, func(c *daemon.Config) { c.EnableAuth, c.JWTSecret = true, secret })
	anon := api{t: t, base: m.URL}
	anon.expect(anon.do("GET", "/health", nil), 200, "")
	anon.expect(anon.do("GET", "/project/", nil), 401, core.ETokenMissing)

	unknown := anon.expect(anon.do("POST", "/auth", map[string]string{"username": "nobody", "password": "x"}), 401, core.EInvalidCredentials)
	wrong := anon.expect(anon.do("POST", "/auth", map[string]string{"username": "default", "password": "x"}), 401, core.EInvalidCredentials)
	if unknown.str("message") != wrong.str("message") {
		t.Fatal("login tells unknown users from wrong passwords")
	}
	login := anon.expect(anon.do("POST", "/auth", map[string]string{"username": "default", "password": "default"}), 200, "").json()
	ttl := time.Until(time.Unix(int64(login["expires_at"].(float64)), 0))
	user := login["user"].(map[string]any)
	if login["token_type"] != "Bearer" || ttl < 23*time.Hour || ttl > 24*time.Hour || user["username"] != "default" || user["password"] != nil {
		t.Fatalf("login = %v", login)
	}
	admin := anon.as(login["access_token"].(string))
	me := admin.expect(admin.do("GET", "/auth/me", nil), 200, "").json()
	if me["is_admin"] != true || me["password"] != nil {
		t.Fatalf("me = %v", me)
	}
	refreshed := admin.expect(admin.do("POST", "/auth/refresh", nil), 200, "").json()
	if refreshed["expires_at"].(float64) < login["expires_at"].(float64) {
		t.Fatal("refresh shortened the token")
	}
	defaultID := me["id"].(string)

	for name, tc := range map[string]struct {
		header string
		code   string
	}{
		"garbage":      {"Bearer not.a.token", core.ETokenInvalid},
		"no scheme":    {"justonetoken", core.ETokenInvalid},
		"other secret": {"Bearer " + sign(t, "another-secret", jwt.MapClaims{"sub": "default", "id": defaultID, "exp": time.Now().Add(time.Hour).Unix()}), core.ETokenInvalid},
		"expired":      {"Bearer " + sign(t, secret, jwt.MapClaims{"sub": "default", "id": 0, "exp": time.Now().Add(-time.Hour).Unix()}), core.ETokenExpired},
		"empty claims": {"Bearer " + sign(t, secret, jwt.MapClaims{}), core.ETokenPayloadInvalid},
		"numeric id":   {"Bearer " + sign(t, secret, jwt.MapClaims{"sub": "default", "id": 0, "exp": time.Now().Add(time.Hour).Unix()}), core.ETokenPayloadInvalid},
		"unknown user": {"Bearer " + sign(t, secret, jwt.MapClaims{"sub": "x", "id": "one", "exp": time.Now().Add(time.Hour).Unix()}), core.EUserNotFound},
		"alg none":     {"Bearer " + noneToken(defaultID), core.ETokenInvalid},
	} {
		a := anon.do("GET", "/project/", nil, "Authorization", tc.header)
		if a.status != 401 || a.json()["code"] != tc.code {
			t.Errorf("%s: %d %s, want 401 %s", name, a.status, a.body, tc.code)
		}
	}

	// A non-admin member.
	uid := admin.expect(admin.do("POST", "/user/", map[string]string{"first_name": "A", "last_name": "B", "username": "ada", "password": "pw"}), 201, "").str("user_id")
	ada := anon.as(anon.expect(anon.do("POST", "/auth", map[string]string{"username": "ada", "password": "pw"}), 200, "").json()["access_token"].(string))
	ada.expect(ada.do("POST", "/user/", map[string]string{"username": "eve", "password": "pw"}), 403, core.EAdminRequired)
	ada.expect(ada.do("GET", "/user/"+uid, nil), 200, "")
	ada.expect(ada.do("GET", "/user/"+defaultID, nil), 403, core.ESameUserRequired)
	ada.expect(ada.do("PATCH", "/user/"+uid, map[string]any{"is_admin": true}), 403, core.EAdminRequired)
	ada.expect(ada.do("PATCH", "/user/"+uid, map[string]any{"first_name": "Ana"}), 200, "")
	p, e, _ := admin.seed()
	ada.expect(ada.do("GET", "/project/"+p, nil), 403, core.EPermissionRequired)
	ada.expect(ada.do("GET", "/experiment/00000000-0000-0000-0000-000000000000", nil), 404, core.ENotFound)
	if n := len(ada.expect(ada.do("GET", "/project/", nil), 200, "").list()); n != 0 {
		t.Fatalf("ada sees %d projects without permission", n)
	}
	perm := admin.expect(admin.do("POST", "/userpermission/user/"+uid+"/project/"+p,
		map[string]bool{"create_permission": false, "read_permission": true, "update_permission": false, "delete_permission": false}), 201, "").str("userpermission_id")
	ada.expect(ada.do("GET", "/experiment/"+e, nil), 200, "")
	ada.expect(ada.do("POST", "/experiment/project/"+p, map[string]any{"status_id": 1, "name": "E2"}), 403, core.EPermissionRequired)
	ada.expect(ada.do("PATCH", "/experiment/"+e, map[string]any{"name": "x"}), 403, core.EPermissionRequired)
	ada.expect(ada.do("DELETE", "/experiment/"+e, nil), 403, core.EPermissionRequired)
	for flag, check := range map[string]func(){
		"create_permission": func() {
			ada.expect(ada.do("POST", "/experiment/project/"+p, map[string]any{"status_id": 1, "name": "E2"}), 201, "")
		},
		"update_permission": func() { ada.expect(ada.do("PATCH", "/experiment/"+e, map[string]any{"name": "x"}), 200, "") },
	} {
		admin.expect(admin.do("PATCH", "/userpermission/"+perm, map[string]bool{flag: true}), 200, "")
		check()
	}
	admin.expect(admin.do("PATCH", "/userpermission/"+perm, map[string]bool{"delete_permission": true}), 200, "")
	ada.expect(ada.do("DELETE", "/experiment/"+e, nil), 200, "")
	if n := len(ada.expect(ada.do("GET", "/project/", nil), 200, "").list()); n != 1 {
		t.Fatalf("ada sees %d projects with read permission", n)
	}
	ada.expect(ada.do("GET", "/project/"+p+"/members", nil), 200, "")
	ada.expect(ada.do("GET", "/user/"+uid+"/permissions", nil), 200, "")
	ada.expect(ada.do("GET", "/user/"+defaultID+"/permissions", nil), 403, core.ESameUserRequired)
	// A deleted user's token stops working.
	admin.expect(admin.do("DELETE", "/user/"+uid, nil), 200, "")
	ada.expect(ada.do("GET", "/auth/me", nil), 401, core.EUserNotFound)

	// The Go client signs in, and says so plainly when refused.
	c, err := daemon.Connect(context.Background(), m.URL, daemon.Options{Username: "default", Password: "default"})
	if err != nil {
		t.Fatal(err)
	}
	if u, err := c.Me(context.Background()); err != nil || !u.IsAdmin {
		t.Fatalf("client me = %v, %v", u, err)
	}
	if _, err := daemon.Connect(context.Background(), m.URL, daemon.Options{Username: "default", Password: "wrong"}); core.ErrorCode(err) != core.EInvalidCredentials {
		t.Fatalf("wrong password: %v", err)
	}
	if _, err := daemon.Connect(context.Background(), m.URL, daemon.Options{Token: "junk"}); err == nil || !strings.Contains(err.Error(), "refused the token") {
		t.Fatalf("junk token: %v", err)
	}
	if _, err := daemon.Connect(context.Background(), m.URL, daemon.Options{}); err != nil {
		t.Fatalf("connect without credentials (health is open): %v", err)
	}
	// A token close to its expiry is renewed before the next request.
	soon := sign(t, secret, jwt.MapClaims{"sub": "default", "id": defaultID, "exp": time.Now().Add(30 * time.Minute).Unix()})
	c, err = daemon.Connect(context.Background(), m.URL, daemon.Options{Token: soon})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListProjects(context.Background(), core.ProjectFilter{}); err != nil {
		t.Fatal(err)
	}
	if c.Token() == soon {
		t.Fatal("the client kept a token that expires within the hour")
	}
}

// noneToken is a token with "alg": "none", which must never be accepted.
func noneToken(id string) string {
	s, _ := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{"sub": "default", "id": id, "exp": time.Now().Add(time.Hour).Unix()}).
		SignedString(jwt.UnsafeAllowNoneSignatureType)
	return s
}

func TestRefusesUnsafeOrBrokenConfig(t *testing.T) {
	for name, env := range map[string]map[string]string{
		"auth with the default secret":  {"DEARDIARY_ENABLE_AUTH": "true"},
		"auth with an explicit default": {"DEARDIARY_ENABLE_AUTH": "true", "DEARDIARY_JWT_SECRET": daemon.DefaultSecret},
		"a bad port":                    {"DEARDIARY_PORT": "ninety"},
		"an unknown backend":            {"DEARDIARY_ARTIFACT_BACKEND": "s3"},
	} {
		_, err := daemon.LoadConfig(func(k string) string { return env[k] }, "", nil)
		if core.ErrorCode(err) != core.EInvalid {
			t.Errorf("%s: %v", name, err)
		}
	}
	cfg, err := daemon.LoadConfig(func(k string) string { return map[string]string{"DEARDIARY_PORT": "9100", "DEARDIARY_HOST": ""}[k] }, "",
		map[string]string{"port": "9200"})
	if err != nil || cfg.Port != 9200 || cfg.Host != "127.0.0.1" {
		t.Fatalf("flags over environment, empty means unset: %+v, %v", cfg, err)
	}
	_, err = daemon.Connect(context.Background(), "http://127.0.0.1:1", daemon.Options{})
	if err == nil || !strings.Contains(err.Error(), "cannot reach ddd") {
		t.Fatalf("unreachable daemon: %v", err)
	}
}
