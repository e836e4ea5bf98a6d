package daemon

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/deardiary/deardiary-go/core"
)

// Loopback serves the API over a tracker on a loopback port of its own,
// behind a token only its holder is given. It is how `ddd run` on a local
// file lets the command it runs log to a database that only ddd run may
// open: other local users cannot write through it.
type Loopback struct {
	// URL is where it listens and Token the bearer token it takes.
	URL, Token string
	srv        *http.Server
}

// ServeLoopback starts serving t on 127.0.0.1 on a free port, with auth on
// and a secret of its own, and a token for t's default admin.
func ServeLoopback(ctx context.Context, t core.Tracker) (*Loopback, error) {
	secret := make([]byte, 32)
	rand.Read(secret)
	cfg := DefaultConfig()
	cfg.EnableAuth, cfg.JWTSecret = true, hex.EncodeToString(secret)
	api := NewServer(t, cfg, nil)
	admin, err := api.defaultAdmin(ctx)
	if err != nil {
		return nil, fmt.Errorf("cannot sign a token for the command: the %q user is missing: %w", core.DefaultUsername, err)
	}
	tok, err := api.issue(admin)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("cannot serve the API to the command: %w", err)
	}
	l := &Loopback{URL: "http://" + ln.Addr().String(), Token: tok.AccessToken,
		srv: &http.Server{Handler: api, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}}
	go l.srv.Serve(ln)
	return l, nil
}

// Close stops serving, letting requests in flight finish for up to ten
// seconds.
func (l *Loopback) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return l.srv.Shutdown(ctx)
}
