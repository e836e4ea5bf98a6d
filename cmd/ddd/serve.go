package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/deardiary/deardiary-go/cmd/internal/connect"
	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/core/duckdb"
	"github.com/deardiary/deardiary-go/daemon"
)

// Main is the ddd server process, shaped so end-to-end tests can run it on
// port 0 with a temporary database: ParseFlags, Run, Close.
type Main struct {
	Config  Config
	Log     *slog.Logger
	Store   core.Tracker
	URL     string // where it listens, once Run returned
	srv     *http.Server
	serving chan error
	// ShutdownTimeout bounds how long Close waits for requests in flight.
	ShutdownTimeout time.Duration
	// HeaderTimeout is how long a client may take to send a request's
	// headers, and IdleTimeout how long a kept-alive connection may wait for
	// the next request: what stops slow or stuck clients from holding
	// connections. A body may take up to half an hour, so that large
	// uploads stream at whatever pace the network allows.
	HeaderTimeout, IdleTimeout time.Duration
	// BcryptCost, when set, is the cost of new password hashes (tests
	// lower it).
	BcryptCost int
	logs       *batchedLog
}

// NewMain returns a Main with the default configuration, logging to stderr.
func NewMain(stderr io.Writer) *Main {
	logs := newBatchedLog(stderr)
	return &Main{Config: DefaultConfig(), Log: slog.New(flushAbove{slog.NewTextHandler(logs, nil), logs}), logs: logs,
		ShutdownTimeout: 30 * time.Second, HeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
}

// ParseFlags reads the configuration: getenv (the process environment), then
// --env-file, then flags.
func (m *Main) ParseFlags(args []string, getenv func(string) string, usage io.Writer) error {
	fs := flag.NewFlagSet("ddd", flag.ContinueOnError)
	fs.SetOutput(usage)
	envFile := fs.String("env-file", "", "read DEARDIARY_* settings from this file (KEY=VALUE lines)")
	values := map[string]*string{}
	for _, s := range Settings {
		values[s.Flag] = fs.String(s.Flag, "", fmt.Sprintf("%s (%s, default %s)", s.Help, s.Env, s.Default))
	}
	fs.Usage = func() {
		fmt.Fprintf(usage, "ddd: the DearDiary server (REST API compatible with DearDiary.jl)\n\n")
		fmt.Fprintf(usage, "Usage: ddd [flags]\n\nOther commands (each has --help):\n"+
			"  ddd run --project P --experiment E -- COMMAND...   track one run of any command\n"+
			"  ddd snapshot --iteration ID [--dir DIR]            capture a directory into an iteration\n"+
			"  ddd restore ID [--dir DEPOT]                       write an iteration's environment back\n"+
			"  ddd copy FROM TO                                   copy a whole store into an empty one (DuckDB file or PostgreSQL)\n\n"+
			"Settings come from the environment, then --env-file, then flags:\n\n")
		flagWidth, envWidth := 0, 0
		for _, s := range Settings {
			flagWidth, envWidth = max(flagWidth, len(s.Flag)), max(envWidth, len(s.Env))
		}
		for _, s := range Settings {
			def := s.Default
			if def == "" {
				def = "none"
			}
			fmt.Fprintf(usage, "  --%-*s %-*s %s\n  %-*s   default: %s\n", flagWidth, s.Flag, envWidth, s.Env, s.Help, flagWidth+2, "", def)
		}
		fmt.Fprintf(usage, "  --%-*s read settings from a KEY=VALUE file\n", flagWidth, "env-file")
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	flags := map[string]string{}
	for name, v := range values {
		flags[name] = *v
	}
	cfg, err := LoadConfig(getenv, *envFile, flags)
	if err != nil {
		return err
	}
	m.Config = cfg
	return nil
}

// Run opens the database and starts serving; it returns once the server
// listens, with m.URL set. Serving errors surface from Wait.
func (m *Main) Run(ctx context.Context) error {
	if err := m.Config.Validate(); err != nil {
		return err
	}
	store, kind, err := m.openStore(ctx)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", m.Config.Addr())
	if err != nil {
		store.Close()
		return fmt.Errorf("cannot listen on %s: %w", m.Config.Addr(), err)
	}
	conns := m.Config.MaxConnections
	if free := openFileLimit() - reservedFiles; free > 0 && conns > free {
		m.Log.Warn("fewer connections than configured: the open-file limit leaves room for fewer", "max_connections", free,
			"configured", conns, "raise", "ulimit -n")
		conns = free
	}
	ln = daemon.LimitConnections(ln, max(conns, 1))
	m.Store = store
	m.URL = "http://" + ln.Addr().String()
	server, hosts := m.Config.serverConfig()
	m.srv = &http.Server{
		Handler:           daemon.NewServer(store, server, m.Log),
		ReadHeaderTimeout: m.HeaderTimeout,
		ReadTimeout:       30 * time.Minute,
		WriteTimeout:      30 * time.Minute,
		IdleTimeout:       m.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(m.Log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	m.serving = make(chan error, 1)
	go func() { m.serving <- m.srv.Serve(ln) }()
	ids := "uuid"
	if d, ok := store.(*duckdb.Store); ok && d.IntegerIDs() {
		ids = "integer"
	}
	cors := strings.Join(server.CORSOrigins, ",")
	if cors == "" {
		cors = "none"
	}
	attrs := []any{"url", m.URL, "db", kind, "ids", ids, "auth", m.Config.Server.EnableAuth, "hosts", hosts, "cors_origins", cors,
		"artifacts", m.Config.Server.ArtifactBackend}
	switch m.Config.Server.ArtifactBackend {
	case core.BackendFilesystem:
		attrs = append(attrs, "root", m.Config.ArtifactRoot())
	case core.BackendS3:
		attrs = append(attrs, "endpoint", m.Config.ArtifactS3.Endpoint, "bucket", m.Config.ArtifactS3.Bucket)
	}
	m.Log.Info("ddd serving", attrs...)
	if slices.Contains(server.AllowedHosts, "*") && !m.Config.Server.EnableAuth {
		m.Log.Warn("ddd answers requests addressed to any host name, with auth off: a web page visited by anyone who can reach ddd may read and change its data; set DEARDIARY_ALLOWED_HOSTS, or turn auth on")
	}
	if m.Config.Server.EnableAuth {
		m.warnDefaultPasswords(ctx, store)
	}
	return nil
}

// warnDefaultPasswords logs the admins who still have the seeded password,
// which anyone who has read DearDiary's documentation knows. (ddd also
// warns when one of them signs in with it.)
func (m *Main) warnDefaultPasswords(ctx context.Context, t core.Tracker) {
	users, err := t.ListUsers(ctx)
	if err != nil {
		m.Log.Warn("cannot check the admins' passwords", "error", err)
		return
	}
	var weak []string
	for _, u := range users {
		if !u.IsAdmin {
			continue
		}
		if _, err := t.Authenticate(ctx, u.Username, core.DefaultPassword); err == nil {
			weak = append(weak, u.Username)
		}
	}
	if len(weak) > 0 {
		m.Log.Warn(`admins still have the password "default", so anyone can sign in as them: change it (PATCH /user/{id} with {"password": ...})`,
			"users", strings.Join(weak, ","))
	}
}

// openStore opens the database DEARDIARY_DB_FILE names: a PostgreSQL one
// for a postgres:// URL, a DuckDB file otherwise. kind says which, for the
// log, without a password.
func (m *Main) openStore(ctx context.Context) (store core.Tracker, kind string, err error) {
	if connect.IsDatabaseURL(m.Config.DBFile) {
		if m.Config.IntegerIDs {
			return nil, "", core.Invalid("a PostgreSQL store has UUID ids; --ids integer (DEARDIARY_IDS) is for a new DuckDB file")
		}
		s, err := connect.Postgres(ctx, m.Config.DBFile, false, m.Config.Artifacts(), m.BcryptCost)
		if err != nil {
			return nil, "", err
		}
		return s, "postgres " + connect.RedactURL(m.Config.DBFile), nil
	}
	opts := []duckdb.Option{duckdb.WithArtifactConfig(m.Config.Artifacts()), duckdb.WithMemoryLimit(m.Config.DBMemoryLimit)}
	if m.Config.IntegerIDs {
		opts = append(opts, duckdb.WithIntegerIDs())
	}
	if m.BcryptCost > 0 {
		opts = append(opts, duckdb.WithBcryptCost(m.BcryptCost))
	}
	s, err := duckdb.Open(m.Config.DBFile, opts...)
	if err != nil {
		return nil, "", err
	}
	if m.Config.IntegerIDs && !s.IntegerIDs() {
		s.Close()
		return nil, "", core.Invalid("%s has UUID ids; --ids integer (DEARDIARY_IDS) makes a new database with integer ids and converts no existing one", m.Config.DBFile)
	}
	m.Log.Info("the file stays readable by DuckDB 1.1 and later (DuckDB.jl 1.1+ for DearDiary.jl), not by 1.0: DuckDB 1.1 changed how it stores the key indexes of upstream's tables", "db", m.Config.DBFile)
	return s, "duckdb " + m.Config.DBFile, nil
}

// reservedFiles are the file descriptors ddd keeps for itself beside its
// connections: the database, its log and journal, DuckDB's temporary files,
// artifact files being written.
const reservedFiles = 64

// openFileLimit is the process's soft limit on open files, or 0 if unknown.
func openFileLimit() int {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil || lim.Cur > math.MaxInt32 {
		return 0
	}
	return int(lim.Cur)
}

// Wait blocks until the server stops, returning why unless it was Close.
func (m *Main) Wait() error {
	err := <-m.serving
	m.serving <- err
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Close stops taking connections, lets requests in flight finish (up to
// ShutdownTimeout), then closes the database, committing what was queued.
func (m *Main) Close() error {
	var errs []error
	if m.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), m.ShutdownTimeout)
		defer cancel()
		if err := m.srv.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("shutdown: %w", err))
		}
	}
	if m.Store != nil {
		if err := m.Store.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	if m.logs != nil {
		_ = m.logs.Flush() // a log that cannot be written has nowhere to say so
	}
	return errors.Join(errs...)
}
