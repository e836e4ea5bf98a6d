package daemon_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/core/duckdb"
	"github.com/deardiary/deardiary-go/core/trackertest"
	"github.com/deardiary/deardiary-go/daemon"
	"github.com/deardiary/deardiary-go/daemon/daemontest"
)

// testServer is the API served over real HTTP on a loopback port, on a
// temporary database: what the daemon's tests talk to. (cmd/ddd's tests
// run the whole ddd process.)
type testServer struct {
	URL   string
	Store *duckdb.Store
	API   daemontest.API
}

// startServer serves a fresh database with the filesystem artifact backend
// until the test ends; configure may change the server's configuration, and
// opts are added to the store's.
func startServer(t testing.TB, configure func(*daemon.Config), opts ...duckdb.Option) *testServer {
	t.Helper()
	dir := t.TempDir()
	cfg := daemon.DefaultConfig()
	cfg.ArtifactBackend = core.BackendFilesystem
	if configure != nil {
		configure(&cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	store, err := duckdb.Open(filepath.Join(dir, "deardiary.db"), append([]duckdb.Option{duckdb.WithBcryptCost(bcrypt.MinCost),
		duckdb.WithArtifacts(cfg.ArtifactBackend, filepath.Join(dir, "artifacts"))}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: daemon.NewServer(store, cfg, nil), ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		if err := srv.Shutdown(context.Background()); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-served; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("serve: %v", err)
		}
		if err := store.Close(); err != nil {
			t.Errorf("closing the store: %v", err)
		}
	})
	url := "http://" + ln.Addr().String()
	return &testServer{URL: url, Store: store, API: daemontest.API{T: t, Base: url}}
}

// TestClientConformance runs the whole conformance suite through the client
// against a real server, on a store with UUID ids and on one with DearDiary.jl
// 0.9.1's integer ids (numbers on the wire): both modes, and both kinds of
// store, must behave the same.
func TestClientConformance(t *testing.T) {
	t.Parallel()
	for name, opts := range map[string][]duckdb.Option{"uuid": nil, "integer": {duckdb.WithIntegerIDs()}} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			clientConformance(t, opts)
		})
	}
}

func clientConformance(t *testing.T, opts []duckdb.Option) {
	trackertest.Run(t, func(t *testing.T) core.Tracker {
		s := startServer(t, nil, opts...)
		c, err := daemon.Connect(context.Background(), s.URL, daemon.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return c
	})
}

func newTextLogger(w io.Writer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }
