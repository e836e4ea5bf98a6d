package main

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/core/duckdb"
	"github.com/deardiary/deardiary-go/daemon"
)

// syncBuffer is a log that tests read while ddd may still write to it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startLogged runs ddd on port 0 over db with configure's settings, its log
// kept.
func startLogged(t *testing.T, db string, configure func(*Config)) (*Main, *syncBuffer) {
	t.Helper()
	log := &syncBuffer{}
	m := NewMain(log)
	m.Log = slog.New(slog.NewTextHandler(log, nil))
	m.Config.Port, m.Config.DBFile = 0, db
	m.StoreOptions = []duckdb.Option{duckdb.WithBcryptCost(bcrypt.MinCost)}
	if configure != nil {
		configure(&m.Config)
	}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m, log
}

// TestWarnsOfDefaultPasswords: with auth on, ddd's start log names the
// admins whose password is still "default", and so does a sign-in with
// it; once it changed, neither warns.
func TestWarnsOfDefaultPasswords(t *testing.T) {
	t.Parallel()
	const warning = `admins still have the password \"default\"` // as slog quotes it
	db := filepath.Join(t.TempDir(), "deardiary.db")
	auth := func(c *Config) {
		c.Server.EnableAuth, c.Server.JWTSecret = true, "a test secret that is not the default"
	}
	m, log := startLogged(t, db, auth)
	if !strings.Contains(log.String(), warning) || !strings.Contains(log.String(), "users=default") {
		t.Fatalf("no warning at start:\n%s", log)
	}
	ctx := context.Background()
	c, err := daemon.Connect(ctx, m.URL, daemon.Options{Username: "default", Password: "default"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), `an admin signed in with the password \"default\"`) {
		t.Fatalf("no warning at sign-in:\n%s", log)
	}
	me, err := c.Me(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.UpdateUser(ctx, me.ID, core.UserUpdate{Password: new("a better password")}); err != nil {
		t.Fatal(err)
	}
	m.Close()
	_, log = startLogged(t, db, auth)
	if strings.Contains(log.String(), warning) {
		t.Fatalf("a warning with no default password left:\n%s", log)
	}
	// Without auth, passwords guard nothing, and nothing is said.
	other := filepath.Join(t.TempDir(), "open.db")
	if _, log = startLogged(t, other, nil); strings.Contains(log.String(), warning) {
		t.Fatalf("a warning with auth off:\n%s", log)
	}
}
