package daemon

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestRouterMatchesBySegments: the first route added that matches wins,
// variables match one non-empty escaped segment and decode, another method
// is 405 with Allow, and nothing 404.
func TestRouterMatchesBySegments(t *testing.T) {
	t.Parallel()
	status := func(code int) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(code) })
	}
	rt := newRouter(status(http.StatusNotFound), status(http.StatusMethodNotAllowed))
	route := func(method, path, name string) {
		rt.handle(method, path, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Route", name)
			w.Header().Set("Vars", pathVar(r, "id")+"|"+pathVar(r, "experiment_id")+"|"+pathVar(r, "value"))
		}))
	}
	route("GET", "/resource/{id}/data", "data")
	route("GET", "/resource/experiment/{experiment_id}", "list")
	route("GET", "/resource/{id}", "one")
	route("GET", "/project/", "projects")
	route("GET", "/project", "projects")
	route("GET", "/tag/value/{value}", "tag")
	route("POST", "/tag/", "create")
	route("GET", "/a/b/c/d/e/f/g/h", "eight")
	for _, c := range []struct {
		method, path string
		code         int
		route, vars  string
	}{
		{"GET", "/resource/experiment/data", 200, "data", "experiment||"}, // first added wins
		{"GET", "/resource/experiment/e1", 200, "list", "|e1|"},
		{"GET", "/resource/r1", 200, "one", "r1||"},
		{"GET", "/resource/r1/", 404, "", ""},
		{"GET", "/resource//data", 404, "", ""}, // a variable is never empty
		{"GET", "/project", 200, "projects", "||"},
		{"GET", "/project/", 200, "projects", "||"},
		{"GET", "/tag/value/a%2Fb%20c", 200, "tag", "||a/b c"},
		{"GET", "/resource/..", 200, "one", "..||"}, // an id the store will not find
		{"GET", "/resource/%2e%2e%2fx", 200, "one", "../x||"},
		{"DELETE", "/resource/r1", 405, "", ""},
		{"HEAD", "/resource/r1", 405, "", ""},
		{"GET", "/tag/", 405, "", ""},
		{"GET", "/nothing", 404, "", ""},
		{"GET", "/", 404, "", ""},
		{"GET", "/a/b/c/d/e/f/g/h", 200, "eight", "||"},
		{"GET", "/a/b/c/d/e/f/g/h/i", 404, "", ""}, // past maxSegments
		{"GET", "//project/", 404, "", ""},         // paths are not cleaned
		{"GET", "/project/../resource/r1", 404, "", ""},
	} {
		w := httptest.NewRecorder()
		r := httptest.NewRequest(c.method, "http://127.0.0.1"+c.path, nil)
		rt.ServeHTTP(w, r)
		if w.Code != c.code || w.Header().Get("Route") != c.route || c.code == 200 && w.Header().Get("Vars") != c.vars {
			t.Errorf("%s %s: %d route %q vars %q, want %d %q %q", c.method, c.path, w.Code, w.Header().Get("Route"), w.Header().Get("Vars"), c.code, c.route, c.vars)
		}
		if c.code == 405 && w.Header().Get("Allow") == "" {
			t.Errorf("%s %s: 405 without Allow", c.method, c.path)
		}
	}
}

// TestEveryRouteIsReachable: no route of the server is shadowed by one
// added before it; each, with and without its trailing slash, is what a
// path made from its own pattern reaches.
func TestEveryRouteIsReachable(t *testing.T) {
	t.Parallel()
	s := NewServer(nil, DefaultConfig(), nil)
	n := 0
	for _, patterns := range s.router.byFirst {
		for _, p := range patterns {
			n++
			var segs []string
			for _, seg := range p.segs {
				if seg.name != "" {
					segs = append(segs, "x"+seg.name)
				} else {
					segs = append(segs, seg.literal)
				}
			}
			var buf [maxSegments]string
			got := splitPath("/"+strings.Join(segs, "/"), buf[:0])
			if found, _ := s.router.find(p.method, got); found != p {
				t.Errorf("%s /%s reaches %v, not its own route", p.method, strings.Join(segs, "/"), found)
			}
		}
	}
	if want := 2 * len(s.routes()); n != want {
		t.Fatalf("%d patterns for %d routes, want %d", n, len(s.routes()), want)
	}
}
