package daemon_test

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/daemon"
	"github.com/deardiary/deardiary-go/daemon/daemontest"
)

func TestWireBasics(t *testing.T) {
	t.Parallel()
	m := startServer(t, nil)
	c := daemontest.API{T: t, Base: m.URL}
	h := c.Expect(c.Do("GET", "/health", nil), 200, "").JSON()
	if h["app_name"] != "DearDiary" || h["package_version"] != daemon.Version || h["server_time"] == "" {
		t.Fatalf("health = %v", h)
	}
	c.Expect(c.Do("GET", "/no/such/route", nil), 404, core.ENotFound)
	p, e, it := c.Seed()
	// Both /project and /project/ reach the same handler.
	if n := len(c.Expect(c.Do("GET", "/project", nil), 200, "").List()); n != 1 {
		t.Fatalf("projects = %d", n)
	}
	for range 4 {
		c.Expect(c.Do("POST", "/experiment/project/"+p+"/", map[string]any{"status_id": 1, "name": "E"}), 201, "")
	}
	page := func(query string) map[string]any {
		return c.Expect(c.Do("GET", "/experiment/project/"+p+query, nil), 200, "").JSON()
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
	iter := c.Expect(c.Do("GET", "/iteration/"+it, nil), 200, "").JSON()
	if iter["end_date"] != nil || iter["parent_iteration_id"] != nil || iter["status_id"] != float64(1) || iter["notes"] != "" || iter["git_dirty"] != false {
		t.Fatalf("iteration JSON = %v", iter)
	}
	c.Expect(c.Do("GET", "/experiment/00000000-0000-0000-0000-000000000000", nil), 404, core.ENotFound)
	c.Expect(c.Do("POST", "/experiment/project/nope", map[string]any{"status_id": 1, "name": "E"}), 422, core.EInvalid)
	c.Expect(c.Do("POST", "/iteration/experiment/"+e+"?parent_iteration_id=notanid", nil), 422, core.EInvalid)
	c.Expect(c.Do("POST", "/metric/iteration/"+it, `{"key": "loss", "value": "high"}`), 422, core.EInvalid)
	c.Expect(c.Do("POST", "/metric/iteration/"+it, `{"key": "loss"`), 422, core.EInvalid)
	c.Expect(c.Do("POST", "/metric/iteration/"+it, `{"key": "loss", "value": 1, "recorded_at": "yesterday"}`), 422, core.EInvalid)
	c.Expect(c.Do("PATCH", "/project/"+p, map[string]any{}), 200, "") // all-null PATCH: a no-op
	c.Expect(c.Do("DELETE", "/userpermission/nope", nil), 404, core.ENotFound)
	model := c.Expect(c.Do("POST", "/model/project/"+p, map[string]any{"name": "m", "description": nil}), 201, "").Str("model_id")
	c.Expect(c.Do("POST", "/model/project/"+p, map[string]any{"name": "m"}), 409, core.EConflict)
	c.Expect(c.Do("GET", "/model/"+model, nil), 200, "")

	// Metrics: upstream's explicit step and time, and a batch in order.
	mid := c.Expect(c.Do("POST", "/metric/iteration/"+it, map[string]any{"key": "loss", "value": 0.5, "step": 9, "recorded_at": "2025-03-04T18:30:00"}), 201, "").Str("metric_id")
	got := c.Expect(c.Do("GET", "/metric/"+mid, nil), 200, "").JSON()
	if got["step"] != float64(9) || got["recorded_at"] != "2025-03-04T18:30:00.000" {
		t.Fatalf("metric = %v", got)
	}
	ids := c.Expect(c.Do("POST", "/metric/iteration/"+it+"/batch", map[string]any{"step": 12, "recorded_at": "2025-03-04T18:30:00",
		"metrics": []map[string]any{{"key": "a", "value": 1}, {"key": "b", "value": 2}, {"key": "a", "value": 3}}}), 201, "").JSON()["metric_ids"].([]any)
	if len(ids) != 3 {
		t.Fatalf("batch ids = %v", ids)
	}
	third := c.Expect(c.Do("GET", "/metric/"+ids[2].(string), nil), 200, "").JSON()
	if third["key"] != "a" || third["value"] != float64(3) || third["step"] != float64(12) {
		t.Fatalf("third batch point = %v", third)
	}
	c.Expect(c.Do("GET", "/metric/history?key=loss&iteration_id="+it+"&max_points=x", nil), 422, core.EInvalid)
	hist := c.Expect(c.Do("GET", "/metric/history?key=loss&iteration_id="+it, nil), 200, "").List()
	if len(hist) != 1 {
		t.Fatalf("history = %s", hist)
	}

	// Parameters take strings, numbers and booleans.
	for value, want := range map[string]string{`"adam"`: "adam", `32`: "32", `0.01`: "0.01", `true`: "true", `1e-5`: "1.0e-5"} {
		id := c.Expect(c.Do("POST", "/parameter/iteration/"+it, `{"key": "k", "value": `+value+`}`), 201, "").Str("parameter_id")
		if v := c.Expect(c.Do("GET", "/parameter/"+id, nil), 200, "").Str("value"); v != want {
			t.Errorf("parameter %s stored as %q, want %q", value, v, want)
		}
	}
	c.Expect(c.Do("POST", "/parameter/iteration/"+it, `{"key": "k", "value": [1]}`), 422, core.EInvalid)

	// A status alone leaves the iteration open (as upstream); its end date
	// locks it, and a locked iteration says why.
	c.Expect(c.Do("PATCH", "/iteration/"+it, map[string]any{"status_id": 2}), 200, "")
	c.Expect(c.Do("POST", "/metric/iteration/"+it, map[string]any{"key": "loss", "value": 1}), 201, "")
	c.Expect(c.Do("PATCH", "/iteration/"+it, map[string]any{"end_date": "2026-07-01T10:00:00"}), 200, "")
	locked := c.Expect(c.Do("POST", "/metric/iteration/"+it, map[string]any{"key": "loss", "value": 1}), 422, core.EInvalid)
	if locked.JSON()["reason"] != "ITERATION_LOCKED" {
		t.Fatalf("locked envelope = %s", locked.Body)
	}
}

func TestLimits(t *testing.T) {
	t.Parallel()
	m := startServer(t, func(c *daemon.Config) { c.MaxBodyBytes = 4096; c.MaxUploadBytes = 1 << 20 })
	c := daemontest.API{T: t, Base: m.URL}
	_, e, it := c.Seed()
	c.Expect(c.Do("POST", "/metric/iteration/"+it, `{"key": "`+strings.Repeat("x", 5000)+`", "value": 1}`), 413, "PAYLOAD_TOO_LARGE")
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
	m2 := startServer(t, nil)
	c2 := daemontest.API{T: t, Base: m2.URL}
	_, _, it2 := c2.Seed()
	for kind, limit := range map[string]int{"metrics": daemon.MaxBatchMetrics, "params": daemon.MaxBatchParams, "tags": daemon.MaxBatchTags} {
		c2.Expect(c2.Do("POST", "/iteration/"+it2+"/batch", batch(kind, limit)), 201, "")
		a := c2.Expect(c2.Do("POST", "/iteration/"+it2+"/batch", batch(kind, limit+1)), 422, core.EInvalid)
		if !strings.Contains(a.Str("message"), "at most") {
			t.Errorf("%s over the limit: %s", kind, a.Body)
		}
	}
	// The metric route holds to the same point limit; the Go client sends a
	// larger batch as several, in order.
	c2.Expect(c2.Do("POST", "/metric/iteration/"+it2+"/batch", batch("metrics", daemon.MaxBatchMetrics)), 201, "")
	c2.Expect(c2.Do("POST", "/metric/iteration/"+it2+"/batch", batch("metrics", daemon.MaxBatchMetrics+1)), 422, core.EInvalid)
	client, err := daemon.Connect(context.Background(), m2.URL, daemon.Options{})
	if err != nil {
		t.Fatal(err)
	}
	many := make([]core.MetricInput, 2*daemon.MaxBatchMetrics+500)
	for i := range many {
		many[i] = core.MetricInput{Key: "many", Value: float64(i)}
	}
	ids, err := client.LogMetrics(context.Background(), it2, core.MetricBatch{Metrics: many})
	if err != nil || len(ids) != len(many) {
		t.Fatalf("a batch of %d through the client: %d ids, %v", len(many), len(ids), err)
	}
	h, err := client.MetricHistory(context.Background(), core.HistoryQuery{Key: "many", IterationIDs: []string{it2}})
	if err != nil || len(h) != 1 || len(h[0].Points) != len(many) || h[0].Points[len(many)-1].Step != int64(len(many)-1) {
		t.Fatalf("the split batch's points: %v", err)
	}
	// An upload over the limit is refused and leaves nothing behind.
	body, ctype := multipartBody(t, map[string]string{"name": "big"}, bytes.Repeat([]byte("x"), 2<<20))
	c.Expect(c.Do("POST", "/resource/experiment/"+e, body, "Content-Type", ctype), 413, "PAYLOAD_TOO_LARGE")
	if n := c.Expect(c.Do("GET", "/resource/experiment/"+e, nil), 200, "").JSON()["total"]; n != float64(0) {
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
	t.Parallel()
	m := startServer(t, nil)
	c := daemontest.API{T: t, Base: m.URL}
	_, e, _ := c.Seed()
	data := bytes.Repeat([]byte{0, 1, 2, 255}, 256)
	for _, order := range []string{"fields first", "data"} {
		fields := map[string]string{"name": "model_weights"}
		if order == "data" {
			fields["first"] = "data"
		}
		body, ctype := multipartBody(t, fields, data)
		id := c.Expect(c.Do("POST", "/resource/experiment/"+e, body, "Content-Type", ctype), 201, "").Str("resource_id")
		meta := c.Expect(c.Do("GET", "/resource/"+id, nil), 200, "").JSON()
		if meta["size_bytes"] != float64(1024) || meta["content_hash"] == "" || meta["data"] != nil || meta["name"] != "model_weights" {
			t.Fatalf("%s: metadata %v", order, meta)
		}
		got := c.Expect(c.Do("GET", "/resource/"+id+"/data", nil), 200, "")
		if !bytes.Equal(got.Body, data) || got.Header.Get("Content-Type") != "application/octet-stream" || got.Header.Get("Content-Length") != "1024" {
			t.Fatalf("%s: data %d bytes, headers %v", order, len(got.Body), got.Header)
		}
	}
	body, ctype := multipartBody(t, map[string]string{"description": "no name"}, data)
	c.Expect(c.Do("POST", "/resource/experiment/"+e, body, "Content-Type", ctype), 422, core.EInvalid)
	c.Expect(c.Do("POST", "/resource/experiment/"+e, `{"name": "x"}`), 422, core.EInvalid)
}

func TestCORS(t *testing.T) {
	t.Parallel()
	m := startServer(t, func(c *daemon.Config) { c.CORSOrigins = []string{"https://lab.example"} })
	c := daemontest.API{T: t, Base: m.URL}
	pre := c.Expect(c.Do("OPTIONS", "/project/", nil, "Origin", "https://lab.example", "Access-Control-Request-Method", "POST"), 204, "")
	if pre.Header.Get("Access-Control-Allow-Origin") != "https://lab.example" || pre.Header.Get("Access-Control-Allow-Credentials") != "true" ||
		!strings.Contains(pre.Header.Get("Access-Control-Allow-Headers"), "Authorization") || pre.Header.Get("Access-Control-Max-Age") != "600" {
		t.Fatalf("preflight headers = %v", pre.Header)
	}
	other := c.Do("GET", "/health", nil, "Origin", "https://evil.example")
	if other.Header.Get("Access-Control-Allow-Origin") != "" {
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
	t.Parallel()
	const secret = "test-secret-that-is-not-the-default"
	m := startServer(t, func(c *daemon.Config) { c.EnableAuth, c.JWTSecret = true, secret })
	anon := daemontest.API{T: t, Base: m.URL}
	anon.Expect(anon.Do("GET", "/health", nil), 200, "")
	anon.Expect(anon.Do("GET", "/project/", nil), 401, core.ETokenMissing)

	unknown := anon.Expect(anon.Do("POST", "/auth", map[string]string{"username": "nobody", "password": "x"}), 401, core.EInvalidCredentials)
	wrong := anon.Expect(anon.Do("POST", "/auth", map[string]string{"username": "default", "password": "x"}), 401, core.EInvalidCredentials)
	if unknown.Str("message") != wrong.Str("message") {
		t.Fatal("login tells unknown users from wrong passwords")
	}
	login := anon.Expect(anon.Do("POST", "/auth", map[string]string{"username": "default", "password": "default"}), 200, "").JSON()
	ttl := time.Until(time.Unix(int64(login["expires_at"].(float64)), 0))
	user := login["user"].(map[string]any)
	if login["token_type"] != "Bearer" || ttl < 23*time.Hour || ttl > 24*time.Hour || user["username"] != "default" || user["password"] != nil {
		t.Fatalf("login = %v", login)
	}
	admin := anon.As(login["access_token"].(string))
	me := admin.Expect(admin.Do("GET", "/auth/me", nil), 200, "").JSON()
	if me["is_admin"] != true || me["password"] != nil {
		t.Fatalf("me = %v", me)
	}
	refreshed := admin.Expect(admin.Do("POST", "/auth/refresh", nil), 200, "").JSON()
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
		a := anon.Do("GET", "/project/", nil, "Authorization", tc.header)
		if a.Status != 401 || a.JSON()["code"] != tc.code {
			t.Errorf("%s: %d %s, want 401 %s", name, a.Status, a.Body, tc.code)
		}
	}

	// A non-admin member.
	uid := admin.Expect(admin.Do("POST", "/user/", map[string]string{"first_name": "A", "last_name": "B", "username": "ada", "password": "pw"}), 201, "").Str("user_id")
	ada := anon.As(anon.Expect(anon.Do("POST", "/auth", map[string]string{"username": "ada", "password": "pw"}), 200, "").JSON()["access_token"].(string))
	ada.Expect(ada.Do("POST", "/user/", map[string]string{"username": "eve", "password": "pw"}), 403, core.EAdminRequired)
	ada.Expect(ada.Do("GET", "/user/"+uid, nil), 200, "")
	ada.Expect(ada.Do("GET", "/user/"+defaultID, nil), 403, core.ESameUserRequired)
	ada.Expect(ada.Do("PATCH", "/user/"+uid, map[string]any{"is_admin": true}), 403, core.EAdminRequired)
	ada.Expect(ada.Do("PATCH", "/user/"+uid, map[string]any{"first_name": "Ana"}), 200, "")
	p, e, _ := admin.Seed()
	ada.Expect(ada.Do("GET", "/project/"+p, nil), 403, core.EPermissionRequired)
	ada.Expect(ada.Do("GET", "/experiment/00000000-0000-0000-0000-000000000000", nil), 404, core.ENotFound)
	if n := len(ada.Expect(ada.Do("GET", "/project/", nil), 200, "").List()); n != 0 {
		t.Fatalf("ada sees %d projects without permission", n)
	}
	perm := admin.Expect(admin.Do("POST", "/userpermission/user/"+uid+"/project/"+p,
		map[string]bool{"create_permission": false, "read_permission": true, "update_permission": false, "delete_permission": false}), 201, "").Str("userpermission_id")
	ada.Expect(ada.Do("GET", "/experiment/"+e, nil), 200, "")
	ada.Expect(ada.Do("POST", "/experiment/project/"+p, map[string]any{"status_id": 1, "name": "E2"}), 403, core.EPermissionRequired)
	ada.Expect(ada.Do("PATCH", "/experiment/"+e, map[string]any{"name": "x"}), 403, core.EPermissionRequired)
	ada.Expect(ada.Do("DELETE", "/experiment/"+e, nil), 403, core.EPermissionRequired)
	for flag, check := range map[string]func(){
		"create_permission": func() {
			ada.Expect(ada.Do("POST", "/experiment/project/"+p, map[string]any{"status_id": 1, "name": "E2"}), 201, "")
		},
		"update_permission": func() { ada.Expect(ada.Do("PATCH", "/experiment/"+e, map[string]any{"name": "x"}), 200, "") },
	} {
		admin.Expect(admin.Do("PATCH", "/userpermission/"+perm, map[string]bool{flag: true}), 200, "")
		check()
	}
	admin.Expect(admin.Do("PATCH", "/userpermission/"+perm, map[string]bool{"delete_permission": true}), 200, "")
	ada.Expect(ada.Do("DELETE", "/experiment/"+e, nil), 200, "")
	if n := len(ada.Expect(ada.Do("GET", "/project/", nil), 200, "").List()); n != 1 {
		t.Fatalf("ada sees %d projects with read permission", n)
	}
	ada.Expect(ada.Do("GET", "/project/"+p+"/members", nil), 200, "")
	ada.Expect(ada.Do("GET", "/user/"+uid+"/permissions", nil), 200, "")
	ada.Expect(ada.Do("GET", "/user/"+defaultID+"/permissions", nil), 403, core.ESameUserRequired)
	// A deleted user's token stops working.
	admin.Expect(admin.Do("DELETE", "/user/"+uid, nil), 200, "")
	ada.Expect(ada.Do("GET", "/auth/me", nil), 401, core.EUserNotFound)

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
	defaultUser, err := m.Store.GetUser(context.Background(), defaultID)
	if err != nil {
		t.Fatal(err)
	}
	soon := sign(t, secret, jwt.MapClaims{"sub": "default", "id": defaultID, "exp": time.Now().Add(30 * time.Minute).Unix(), "fp": daemon.Fingerprint(defaultUser)})
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

func TestConnectSaysWhenNothingAnswers(t *testing.T) {
	t.Parallel()
	_, err := daemon.Connect(context.Background(), "http://127.0.0.1:1", daemon.Options{})
	if err == nil || !strings.Contains(err.Error(), "cannot reach ddd") {
		t.Fatalf("unreachable daemon: %v", err)
	}
}

// TestHostileFilters: filters past the parser's limits are 422 with a
// message, never 500 or a long wait.
func TestHostileFilters(t *testing.T) {
	t.Parallel()
	m := startServer(t, nil)
	c := daemontest.API{T: t, Base: m.URL}
	_, e, _ := c.Seed()
	many := make([]string, 300)
	for i := range many {
		many[i] = fmt.Sprintf("metrics.m%d > %d", i, i)
	}
	for name, filter := range map[string]string{
		"300 terms":          strings.Join(many, " or "),
		"1,000 nested nots":  strings.Repeat("not ", 1000) + "status = 'FAILED'",
		"50,000 nested nots": strings.Repeat("not ", 50000) + "status = 'FAILED'",
		"deep parentheses":   strings.Repeat("(", 500) + "status = 'FAILED'" + strings.Repeat(")", 500),
	} {
		start := time.Now()
		a := c.Expect(c.Do("GET", "/iteration/search?experiment_id="+e+"&filter="+url.QueryEscape(filter), nil), 422, core.EInvalid)
		if took := time.Since(start); took > 2*time.Second || !strings.Contains(a.Str("message"), "filter") {
			t.Errorf("%s: %s after %v", name, a.Body, took)
		}
	}
}
