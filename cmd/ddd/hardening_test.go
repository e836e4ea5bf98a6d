package main

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/deardiary/deardiary-go/core"
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
	m.BcryptCost = bcrypt.MinCost
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

// TestHostCheckFollowsTheListenAddress: on loopback the Host check admits
// IP addresses, localhost and the configured names; beyond loopback it is
// off unless names are configured, and the start log says which.
func TestHostCheckFollowsTheListenAddress(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		host, names string
		want        []string // the server's AllowedHosts
		log         string
	}{
		{"127.0.0.1", "", nil, "IP addresses, localhost"},
		{"localhost", "", nil, "IP addresses, localhost"},
		{"::1", "ddd.lab", []string{"ddd.lab"}, "IP addresses, localhost, ddd.lab"},
		{"127.0.0.1", "*", []string{"*"}, "any (DEARDIARY_ALLOWED_HOSTS=*)"},
		{"0.0.0.0", "", []string{"*"}, "any: listening beyond loopback"},
		{"", "", []string{"*"}, "any: listening beyond loopback"},
		{"192.168.1.5", "", []string{"*"}, "any: listening beyond loopback"},
		{"0.0.0.0", "ddd.lab, other.lab", []string{"ddd.lab", "other.lab"}, "IP addresses, localhost, ddd.lab, other.lab"},
		{"box.lab", "ddd.lab", []string{"ddd.lab", "box.lab"}, "IP addresses, localhost, ddd.lab, box.lab"},
	} {
		cfg, err := LoadConfig(func(k string) string {
			return map[string]string{"DEARDIARY_ALLOWED_HOSTS": tc.names}[k]
		}, "", map[string]string{"host": tc.host})
		if err != nil {
			t.Fatal(err)
		}
		cfg.Host = tc.host // "" too, which LoadConfig reads as unset
		server, hosts := cfg.serverConfig()
		if !slices.Equal(server.AllowedHosts, tc.want) || !strings.HasPrefix(hosts, tc.log) {
			t.Errorf("listening on %q with %q: %q, %q; want %q, %q", tc.host, tc.names, server.AllowedHosts, hosts, tc.want, tc.log)
		}
	}
	if d := DefaultConfig().Server; d.CORSOrigins != nil || d.AllowedHosts != nil {
		t.Errorf("defaults: CORS origins %q, allowed hosts %q; want none", d.CORSOrigins, d.AllowedHosts)
	}
	for name, env := range map[string]map[string]string{
		"an origin without scheme": {"DEARDIARY_CORS_ORIGINS": "lab.example"},
		"a host with a scheme":     {"DEARDIARY_ALLOWED_HOSTS": "https://ddd.lab"},
	} {
		if _, err := LoadConfig(func(k string) string { return env[k] }, "", nil); core.ErrorCode(err) != core.EInvalid {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestStartLogSaysWhoGetsIn: ddd's start log says which hosts it answers
// to and which origins may call it, and warns when anyone's web page could
// reach it; the check it describes is the one it runs.
func TestStartLogSaysWhoGetsIn(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	request := func(m *Main, host string) int {
		t.Helper()
		req, err := http.NewRequest("GET", "http://127.0.0.1:"+m.URL[strings.LastIndex(m.URL, ":")+1:]+"/project/", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	local, log := startLogged(t, filepath.Join(dir, "local.db"), nil)
	if !strings.Contains(log.String(), `hosts="IP addresses, localhost" cors_origins=none`) || strings.Contains(log.String(), "level=WARN") {
		t.Errorf("start log on loopback:\n%s", log)
	}
	if got := request(local, "evil.example"); got != http.StatusForbidden {
		t.Errorf("a rebound request on loopback: %d", got)
	}
	wide, log := startLogged(t, filepath.Join(dir, "wide.db"), func(c *Config) { c.Host, c.Server.CORSOrigins = "0.0.0.0", []string{"https://lab.example"} })
	if !strings.Contains(log.String(), `hosts="any: listening beyond loopback`) || !strings.Contains(log.String(), "cors_origins=https://lab.example") ||
		!strings.Contains(log.String(), "level=WARN msg=\"ddd answers requests addressed to any host name, with auth off") {
		t.Errorf("start log on 0.0.0.0:\n%s", log)
	}
	if got := request(wide, "ddd.lab.example"); got != http.StatusOK {
		t.Errorf("a request by name on 0.0.0.0 without allowed hosts: %d", got)
	}
}
