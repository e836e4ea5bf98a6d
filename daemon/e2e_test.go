package daemon_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/core/duckdb"
	"github.com/deardiary/deardiary-go/core/trackertest"
	"github.com/deardiary/deardiary-go/daemon"
)

// startDaemon runs the real ddd on port 0 with a temporary database and
// closes it when the test ends.
func startDaemon(t testing.TB, configure func(*daemon.Config)) *daemon.Main {
	t.Helper()
	m := daemon.NewMain(io.Discard)
	dir := t.TempDir()
	m.Config.Port = 0
	m.Config.DBFile = filepath.Join(dir, "deardiary.db")
	m.Config.ArtifactBackend = core.BackendFilesystem
	m.Config.ArtifactFSRoot = filepath.Join(dir, "artifacts")
	m.StoreOptions = []duckdb.Option{duckdb.WithBcryptCost(bcrypt.MinCost)}
	if configure != nil {
		configure(&m.Config)
	}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Errorf("closing ddd: %v", err)
		}
	})
	return m
}

// TestClientConformance runs the whole conformance suite through the client
// against a real daemon: both modes must behave the same.
func TestClientConformance(t *testing.T) {
	trackertest.Run(t, func(t *testing.T) core.Tracker {
		m := startDaemon(t, nil)
		c, err := daemon.Connect(context.Background(), m.URL, daemon.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return c
	})
}

func newTextLogger(w io.Writer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }
