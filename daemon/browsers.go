package daemon

import (
	"mime"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"

	"github.com/deardiary/deardiary-go/core"
)

// What keeps web pages out. A page in the browser of someone who can reach
// ddd (on their own machine, or their network) may send it requests: ddd
// refuses those unless their origin is allowed (Config.CORSOrigins). Three
// checks, each for a way a page gets a request through:
//
//   - the Host check refuses requests addressed to a name ddd does not
//     know: a page whose own name was pointed at ddd's address (DNS
//     rebinding) is, to the browser, talking to its own site, so it may
//     read the answers, but its requests still carry its name;
//   - the cross-origin check (net/http's CrossOriginProtection, which reads
//     the Sec-Fetch-Site and Origin headers browsers send) refuses
//     state-changing requests a page sends to another site, which browsers
//     send without asking first when they look like a form's;
//   - JSON routes take only Content-Type: application/json, which no page
//     can send to another site without the browser asking ddd first (a
//     CORS preflight, refused unless the origin is allowed), so even a
//     browser that sends neither header cannot post JSON as text/plain.

// guardBrowsers sets up the Host and cross-origin checks from the
// configuration.
func (s *Server) guardBrowsers() {
	s.anyHost = slices.Contains(s.cfg.AllowedHosts, "*")
	s.hosts = map[string]bool{}
	for _, h := range s.cfg.AllowedHosts {
		s.hosts[hostName(h)] = true
	}
	if slices.Contains(s.cfg.CORSOrigins, "*") {
		return // any page may call: no cross-origin check
	}
	s.xorigin = http.NewCrossOriginProtection()
	for _, o := range s.cfg.CORSOrigins {
		_ = s.xorigin.AddTrustedOrigin(o) // Config.Validate refuses bad ones
	}
}

// hostName is the name in a Host header or an allowed-hosts entry, without
// its port, brackets, trailing dot or case.
func hostName(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return strings.ToLower(strings.TrimSuffix(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"), "."))
}

// hostAllowed reports whether a request addressed to host may be served:
// an IP address (no page can rebind one), localhost, or an allowed name.
// Ports are not compared: a page cannot choose the port its requests name
// other than the one it sends them to.
func (s *Server) hostAllowed(host string) bool {
	if s.anyHost || host == "" { // HTTP/1.0 without Host: no browser sends it
		return true
	}
	name := hostName(host)
	if _, err := netip.ParseAddr(name); err == nil {
		return true
	}
	return name == "localhost" || s.hosts[name]
}

// refuseHost answers a request addressed to a host ddd does not answer to,
// and reports whether it did.
func (s *Server) refuseHost(w http.ResponseWriter, r *http.Request) bool {
	if s.hostAllowed(r.Host) {
		return false
	}
	host := r.Host
	if len(host) > 100 {
		host = host[:100] + "…"
	}
	writeError(w, r, s.log, core.Errorf(codeHostNotAllowed,
		"ddd does not answer to the host %q: use its address, localhost, or a name in DEARDIARY_ALLOWED_HOSTS", host))
	return true
}

// refuseCrossOrigin answers a state-changing request that a web page of
// another site sent, and reports whether it did.
func (s *Server) refuseCrossOrigin(w http.ResponseWriter, r *http.Request) bool {
	if s.xorigin == nil || s.xorigin.Check(r) == nil {
		return false
	}
	writeError(w, r, s.log, core.Errorf(codeCrossOrigin,
		"a web page of another site may not change anything here; add its origin to DEARDIARY_CORS_ORIGINS to let it"))
	return true
}

// takesJSON reports whether a route reads a JSON body: every POST, PUT and
// PATCH but the resource uploads, which are multipart.
func takesJSON(rt route) bool {
	switch rt.method {
	case http.MethodPost, http.MethodPut, http.MethodPatch:
		return !strings.HasPrefix(rt.path, "/resource/")
	}
	return false
}

// jsonContent refuses a body that does not say it is JSON. Parameters
// (charset=utf-8) are fine; no Content-Type is fine only without a body.
func jsonContent(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		if r.ContentLength == 0 {
			return nil
		}
		return core.Errorf(codeUnsupportedMediaType, "send the JSON body with Content-Type: application/json")
	}
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
		if len(ct) > 100 {
			ct = ct[:100] + "…"
		}
		return core.Errorf(codeUnsupportedMediaType, "Content-Type %q is not JSON: send the body as application/json", ct)
	}
	return nil
}
