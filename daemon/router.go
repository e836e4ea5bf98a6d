package daemon

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// router finds a request's route by its path's segments, trying the routes
// in the order they were added, as DearDiary.jl's router does: where two
// patterns match one path (GET /resource/{id}/data and GET
// /resource/experiment/{experiment_id} both match
// /resource/experiment/data), the first added wins. net/http's ServeMux
// refuses to register such a pair. It replaced gorilla/mux, whose matching
// (two regular expressions and two copies of the request per request) took
// a twentieth of ddd's CPU under single points, and with it about 4% of
// their rate (docs/PERFORMANCE.md).
//
// A pattern's segments are literal, or a variable {name} that matches one
// non-empty segment of the escaped path, so an id or tag value may hold any
// byte, "/" included (pathVar decodes it). A path that matches a pattern
// for another method only is answered by notAllowed, one that matches none
// by notFound.
type router struct {
	byFirst              map[string][]*pattern // by the first segment, always literal
	notFound, notAllowed http.Handler
}

type pattern struct {
	method string
	segs   []segment
	h      http.Handler
}

// segment is a literal, or a variable when name is set.
type segment struct{ literal, name string }

// maxSegments bounds the segments of a path that can match: ddd's longest
// pattern has six, seven with a trailing slash.
const maxSegments = 8

func newRouter(notFound, notAllowed http.Handler) *router {
	return &router{byFirst: map[string][]*pattern{}, notFound: notFound, notAllowed: notAllowed}
}

// handle adds the route method path, after those added before it.
func (rt *router) handle(method, path string, h http.Handler) {
	p := &pattern{method: method, h: h}
	for _, s := range strings.Split(strings.TrimPrefix(path, "/"), "/") {
		if name, ok := strings.CutPrefix(s, "{"); ok {
			p.segs = append(p.segs, segment{name: strings.TrimSuffix(name, "}")})
		} else {
			p.segs = append(p.segs, segment{literal: s})
		}
	}
	if len(p.segs) > maxSegments || p.segs[0].name != "" {
		panic("daemon: route " + path + " has too many segments, or begins with a variable")
	}
	rt.byFirst[p.segs[0].literal] = append(rt.byFirst[p.segs[0].literal], p)
}

func (rt *router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var buf [maxSegments]string
	segs := splitPath(r.URL.EscapedPath(), buf[:0])
	p, otherMethod := rt.find(r.Method, segs)
	switch {
	case p != nil:
		info := infoOf(r.Context())
		if info == nil { // a router used without Server.ServeHTTP
			info = &requestInfo{}
			r = r.WithContext(context.WithValue(r.Context(), requestInfoKey{}, info))
		}
		info.vars = info.varsBuf[:0]
		for i, s := range p.segs {
			if s.name != "" {
				info.vars = append(info.vars, routeVar{s.name, segs[i]})
			}
		}
		p.h.ServeHTTP(w, r)
	case otherMethod:
		w.Header().Set("Allow", strings.Join(rt.methods(segs), ", "))
		rt.notAllowed.ServeHTTP(w, r)
	default:
		rt.notFound.ServeHTTP(w, r)
	}
}

// find is the first pattern for method that matches segs, and whether one
// for another method does.
func (rt *router) find(method string, segs []string) (found *pattern, otherMethod bool) {
	if len(segs) == 0 {
		return nil, false
	}
	for _, p := range rt.byFirst[segs[0]] {
		if !p.matches(segs) {
			continue
		}
		if p.method == method {
			return p, false
		}
		otherMethod = true
	}
	return nil, otherMethod
}

// methods are the methods of the patterns that match segs, for a 405's
// Allow header.
func (rt *router) methods(segs []string) []string {
	var out []string
	for _, p := range rt.byFirst[segs[0]] {
		if p.matches(segs) && !slices.Contains(out, p.method) {
			out = append(out, p.method)
		}
	}
	return out
}

func (p *pattern) matches(segs []string) bool {
	if len(segs) != len(p.segs) {
		return false
	}
	for i, s := range p.segs {
		if s.name == "" && segs[i] != s.literal || s.name != "" && segs[i] == "" {
			return false
		}
	}
	return true
}

// splitPath appends the segments of path, which begins with "/", to segs:
// at least one, or none for a path no pattern can match (one of more
// segments than cap(segs)).
func splitPath(path string, segs []string) []string {
	rest, ok := strings.CutPrefix(path, "/")
	if !ok {
		return nil
	}
	for {
		if len(segs) == cap(segs) {
			return nil
		}
		seg, after, more := strings.Cut(rest, "/")
		segs = append(segs, seg)
		if !more {
			return segs
		}
		rest = after
	}
}

// routeVar is a variable of the matched route, as the path has it: escaped.
type routeVar struct{ name, value string }

// pathVar is the route's variable name, decoded.
func pathVar(r *http.Request, name string) string {
	info := infoOf(r.Context())
	if info == nil {
		return ""
	}
	for _, v := range info.vars {
		if v.name == name {
			if decoded, err := url.PathUnescape(v.value); err == nil {
				return decoded
			}
			return v.value
		}
	}
	return ""
}
