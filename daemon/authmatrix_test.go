package daemon_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/daemon"
	"github.com/deardiary/deardiary-go/daemon/daemontest"
)

// fixture is one of everything a route can name, in a project of its own.
type fixture map[string]string

// seedFixture makes, as the admin, a project with an experiment, an
// iteration with a parameter, a metric and a tag, a resource, a model with a
// version, and grants each single-permission user its permission there.
func seedFixture(t testing.TB, admin daemontest.API, users map[core.Action]string) fixture {
	t.Helper()
	admin.T = t
	f := fixture{}
	f["project"], f["experiment"], f["iteration"] = admin.Seed()
	f["parameter"] = admin.Expect(admin.Do("POST", "/parameter/iteration/"+f["iteration"], map[string]any{"key": "lr", "value": 0.1}), 201, "").Str("parameter_id")
	f["metric"] = admin.Expect(admin.Do("POST", "/metric/iteration/"+f["iteration"], map[string]any{"key": "loss", "value": 0.5}), 201, "").Str("metric_id")
	admin.Expect(admin.Do("POST", "/tag/iteration/"+f["iteration"], map[string]any{"value": "matrix"}), 201, "")
	f["tag"] = admin.Expect(admin.Do("GET", "/tag/value/matrix", nil), 200, "").Str("id")
	body, ctype := multipartBody(t, map[string]string{"name": "weights"}, []byte("bytes"))
	f["resource"] = admin.Expect(admin.Do("POST", "/resource/experiment/"+f["experiment"], body, "Content-Type", ctype), 201, "").Str("resource_id")
	f["model"] = admin.Expect(admin.Do("POST", "/model/project/"+f["project"], map[string]any{"name": "m"}), 201, "").Str("model_id")
	f["modelversion"] = admin.Expect(admin.Do("POST", "/modelversion/model/"+f["model"], map[string]any{"iteration_id": f["iteration"]}), 201, "").Str("modelversion_id")
	for action, user := range users {
		flags := map[string]bool{}
		for a, flag := range map[core.Action]string{core.ActionCreate: "create_permission", core.ActionRead: "read_permission",
			core.ActionUpdate: "update_permission", core.ActionDelete: "delete_permission"} {
			flags[flag] = a == action
		}
		f["userpermission"] = admin.Expect(admin.Do("POST", "/userpermission/user/"+user+"/project/"+f["project"], flags), 201, "").Str("userpermission_id")
	}
	return f
}

// path fills a route's path variables from the fixture; {id} is the entity
// its first segment names, and a user's {id} is someone else's.
func (f fixture) path(route, adminID, otherUser string) string {
	segments := strings.Split(strings.Trim(route, "/"), "/")
	entity := map[string]string{"snapshot": "iteration"}[segments[0]]
	if entity == "" {
		entity = segments[0]
	}
	for i, seg := range segments {
		switch seg {
		case "{id}":
			segments[i] = f[entity]
			if entity == "user" || entity == "userpermission" && i == 2 {
				segments[i] = adminID
			}
		case "{project_id}", "{experiment_id}", "{iteration_id}", "{model_id}":
			segments[i] = f[strings.TrimSuffix(strings.Trim(seg, "{}"), "_id")]
		case "{user_id}":
			segments[i] = otherUser
		case "{value}":
			segments[i] = "matrix"
		case "{username}":
			segments[i] = "default"
		case "{action}":
			segments[i] = "read"
		}
	}
	p := "/" + strings.Join(segments, "/")
	switch route {
	case "/iteration/search":
		p += "?experiment_id=" + f["experiment"] + "&filter=status%20%3D%20'RUNNING'"
	case "/metric/history":
		p += "?key=loss&iteration_id=" + f["iteration"]
	case "/metric/summary":
		p += "?experiment_id=" + f["experiment"]
	}
	return p
}

// TestAuthMatrix calls every route with every kind of bad credentials and as
// non-admins with no permission and with each single one: 401 or 403 with
// nothing but an error in the body and nothing changed in the database, or,
// where the rule allows the caller, no auth refusal at all.
func TestAuthMatrix(t *testing.T) {
	t.Parallel()
	const secret = "matrix-secret-that-is-not-the-default"
	m := startServer(t, func(c *daemon.Config) { c.EnableAuth, c.JWTSecret = true, secret })
	anon := daemontest.API{T: t, Base: m.URL}
	login := func(user string) daemontest.API {
		t.Helper()
		return anon.As(anon.Expect(anon.Do("POST", "/auth", map[string]string{"username": user, "password": "pw-" + user}), 200, "").JSON()["access_token"].(string))
	}
	admin := anon.As(anon.Expect(anon.Do("POST", "/auth", map[string]string{"username": "default", "password": "default"}), 200, "").JSON()["access_token"].(string))
	adminID := admin.Expect(admin.Do("GET", "/auth/me", nil), 200, "").Str("id")
	newUser := func(name string) string {
		return admin.Expect(admin.Do("POST", "/user/", map[string]string{"first_name": name, "last_name": "x", "username": name, "password": "pw-" + name}), 201, "").Str("user_id")
	}
	users := map[core.Action]string{}
	callers := map[core.Action]daemontest.API{}
	for _, a := range []core.Action{core.ActionCreate, core.ActionRead, core.ActionUpdate, core.ActionDelete} {
		name := strings.ToLower(a.String())
		users[a] = newUser(name)
		callers[a] = login(name)
	}
	newUser("nobody")
	nobody := login("nobody")
	goneID := newUser("gone")
	gone := login("gone")
	admin.Expect(admin.Do("DELETE", "/user/"+goneID, nil), 200, "")

	badHeaders := map[string]string{
		"no token":      "",
		"no scheme":     "abc.def.ghi",
		"empty bearer":  "Bearer ",
		"not a JWT":     "Bearer not-a-token",
		"bad signature": "Bearer " + sign(t, "another-secret", jwt.MapClaims{"sub": "default", "id": adminID, "exp": time.Now().Add(time.Hour).Unix()}),
		"alg none":      "Bearer " + noneToken(adminID),
		"expired":       "Bearer " + sign(t, secret, jwt.MapClaims{"sub": "default", "id": adminID, "exp": time.Now().Add(-time.Minute).Unix()}),
		"deleted user":  "Bearer " + gone.Token,
	}
	checksum := func(t *testing.T) string {
		t.Helper()
		sum, err := m.Store.Checksum(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return sum
	}
	// refused checks a refusal: the status, and an envelope with nothing
	// else in the body.
	refused := func(t *testing.T, what string, a daemontest.Answer, status int) {
		t.Helper()
		var body map[string]any
		if a.Status != status || json.Unmarshal(a.Body, &body) != nil || body["code"] == nil || body["message"] == nil || len(body) != 2 {
			t.Errorf("%s: %d %s, want %d and only an error envelope", what, a.Status, a.Body, status)
		}
	}

	rules := daemon.RouteRules()
	if len(rules) < 67 {
		t.Fatalf("%d routes", len(rules))
	}
	for _, rule := range rules {
		if rule.Who == "open" {
			continue
		}
		t.Run(rule.Method+" "+rule.Path, func(t *testing.T) {
			anon, nobody := anon, nobody
			anon.T, nobody.T = t, t
			f := seedFixture(t, admin, users)
			path := f.path(rule.Path, adminID, users[core.ActionRead])
			body := any(map[string]any{})
			if rule.Method == "GET" || rule.Method == "DELETE" {
				body = nil
			}
			before := checksum(t)
			for name, header := range badHeaders {
				var headers []string
				if header != "" {
					headers = []string{"Authorization", header}
				}
				refused(t, name, anon.Do(rule.Method, path, body, headers...), 401)
			}
			// Non-admins: who the rule lets through must get past auth (the
			// daemontest.Answer may still be 2xx or a 4xx about the payload); everyone
			// else gets a 403. The allowed caller goes last, since it may
			// change or delete the fixture.
			var allowed []daemontest.API
			check := func(name string, c daemontest.API, ok bool) {
				c.T = t
				if ok {
					allowed = append(allowed, c)
					return
				}
				refused(t, name, c.Do(rule.Method, path, body), 403)
			}
			check("no permission", nobody, rule.Who == "authed")
			for _, a := range []core.Action{core.ActionCreate, core.ActionRead, core.ActionUpdate, core.ActionDelete} {
				check("only "+a.String(), callers[a], rule.Who == "authed" || rule.Who == "project" && rule.Action == a)
			}
			if checksum(t) != before {
				t.Fatal("refused requests changed the database")
			}
			if rule.Who == "project" && len(allowed) != 1 {
				t.Fatalf("%d single permissions allow it, want 1", len(allowed))
			}
			for _, c := range allowed {
				if a := c.Do(rule.Method, path, body); a.Status == 401 || a.Status == 403 {
					t.Errorf("allowed caller refused: %d %s", a.Status, a.Body)
				}
			}
		})
	}
}
