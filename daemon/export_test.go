package daemon

import "github.com/deardiary/deardiary-go/core"

// RouteRule is a route and who may call it, for the auth matrix test.
type RouteRule struct {
	Method, Path string
	Who          string // open, authed, admin, self, project
	Action       core.Action
}

// RouteRules lists every route ddd serves with its rule.
func RouteRules() []RouteRule {
	names := map[accessKind]string{open: "open", authed: "authed", adminOnly: "admin", selfOrAdmin: "self", inProject: "project"}
	var out []RouteRule
	for _, rt := range NewServer(nil, DefaultConfig(), nil).routes() {
		out = append(out, RouteRule{rt.method, rt.path, names[rt.access.kind], rt.access.action})
	}
	return out
}

// Fingerprint is the fp claim of u's tokens, for tests that sign their own.
func Fingerprint(u *core.User) string { return fingerprint(u) }
