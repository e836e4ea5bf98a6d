// Package connect is how ddd's subcommands and ddtui find their tracker: a
// running daemon named by URL, or a database opened in-process (a DuckDB
// file, or a PostgreSQL database named by a postgres:// URL). It owns the
// flags they share (--server, --db, --user, --password, --token), their
// DEARDIARY_* defaults, and the hints printed when a connection fails.
package connect

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/core/artifact"
	"github.com/deardiary/deardiary-go/core/duckdb"
	"github.com/deardiary/deardiary-go/core/postgres"
	"github.com/deardiary/deardiary-go/daemon"
)

// Flags are the connection flags of a command line, with the environment as
// their defaults.
type Flags struct {
	Server, DB            string
	User, Password, Token string

	envServer, envDB string
	// artifacts are DEARDIARY_ARTIFACT_BACKEND, _FS_ROOT and _S3_*: where
	// a file opened in-process puts new resource bytes, and how it reaches
	// bytes in S3, as ddd would.
	artifacts artifact.Config
}

// Register adds --server, --db, --user, --password and --token to fs. The
// credentials default to DEARDIARY_USER, DEARDIARY_PASSWORD and
// DEARDIARY_TOKEN; --server and --db to DEARDIARY_URL and DEARDIARY_DB_FILE,
// read in Open so that a flag naming one overrides the variable naming the
// other.
func (f *Flags) Register(fs *flag.FlagSet, getenv func(string) string) {
	fs.StringVar(&f.Server, "server", "", "URL of a running ddd (DEARDIARY_URL)")
	fs.StringVar(&f.DB, "db", "", "a database to open in-process instead: a DuckDB file, or a postgres:// URL (DEARDIARY_DB_FILE, DEARDIARY_DATABASE_URL)")
	fs.StringVar(&f.User, "user", getenv("DEARDIARY_USER"), "username, when ddd requires auth (DEARDIARY_USER)")
	fs.StringVar(&f.Password, "password", getenv("DEARDIARY_PASSWORD"), "password (DEARDIARY_PASSWORD)")
	fs.StringVar(&f.Token, "token", getenv("DEARDIARY_TOKEN"), "a token instead of a password (DEARDIARY_TOKEN)")
	f.envServer, f.envDB = getenv("DEARDIARY_URL"), cmp.Or(getenv("DEARDIARY_DB_FILE"), getenv("DEARDIARY_DATABASE_URL"))
	f.artifacts = artifact.Config{
		Backend: getenv("DEARDIARY_ARTIFACT_BACKEND"),
		Root:    getenv("DEARDIARY_ARTIFACT_FS_ROOT"),
		S3: artifact.S3Config{
			Bucket:    getenv("DEARDIARY_ARTIFACT_S3_BUCKET"),
			Endpoint:  getenv("DEARDIARY_ARTIFACT_S3_ENDPOINT"),
			Region:    getenv("DEARDIARY_ARTIFACT_S3_REGION"),
			AccessKey: getenv("DEARDIARY_ARTIFACT_S3_ACCESS_KEY"),
			SecretKey: getenv("DEARDIARY_ARTIFACT_S3_SECRET_KEY"),
		},
	}
}

// Options say how to open a database file.
type Options struct {
	// ReadOnly opens a file without writing to it, so that it can be read
	// while no daemon holds it; a missing file is then an error.
	ReadOnly bool
	// DefaultDB is the file to open when neither a server nor a file is
	// named; empty makes naming one required.
	DefaultDB string
	// MissingHint is added to the error for a file that does not exist.
	MissingHint string
	// StoreOptions are passed to duckdb.Open (tests lower the bcrypt cost).
	StoreOptions []duckdb.Option
	// BcryptCost, when set, is the cost of new password hashes in a
	// PostgreSQL store (tests lower it).
	BcryptCost int
}

// Conn is an open tracker and what it is.
type Conn struct {
	core.Tracker
	// Client is set when the tracker is a daemon: its URL and token are what
	// a child process needs to reach it too.
	Client *daemon.Client
	// Source names where the data is, for people: a URL or a file path.
	Source string
}

// Open connects to the daemon or opens the file. Flags win over the
// environment; naming both a server and a file is an error, and so is
// naming neither when opts has no DefaultDB.
func (f *Flags) Open(ctx context.Context, opts Options) (*Conn, error) {
	server, file := f.Server, f.DB
	if server != "" && file != "" {
		return nil, core.Invalid("give --server or --db, not both")
	}
	if server == "" && file == "" {
		server, file = f.envServer, f.envDB
		if server != "" {
			file = "" // a daemon named in the environment wins over a file
		}
	}
	if server == "" && file == "" {
		file = opts.DefaultDB
	}
	switch {
	case server != "":
		c, err := Daemon(ctx, server, daemon.Options{Username: f.User, Password: f.Password, Token: f.Token})
		if err != nil {
			return nil, err
		}
		return &Conn{Tracker: c, Client: c, Source: c.URL()}, nil
	case IsDatabaseURL(file):
		s, err := Postgres(ctx, file, opts.ReadOnly, f.artifacts, opts.BcryptCost)
		if err != nil {
			return nil, err
		}
		return &Conn{Tracker: s, Source: RedactURL(file)}, nil
	case file != "":
		if f.artifacts != (artifact.Config{}) {
			opts.StoreOptions = append([]duckdb.Option{duckdb.WithArtifactConfig(f.artifacts)}, opts.StoreOptions...)
		}
		s, err := File(file, opts)
		if err != nil {
			return nil, err
		}
		return &Conn{Tracker: s, Source: file}, nil
	}
	return nil, core.Invalid("name a daemon with --server URL (or DEARDIARY_URL), or a database file with --db FILE (or DEARDIARY_DB_FILE)")
}

// IsDatabaseURL reports whether db names a PostgreSQL database rather than a
// DuckDB file.
func IsDatabaseURL(db string) bool {
	return strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
}

// RedactURL is a database URL fit to print: without its password.
func RedactURL(db string) string {
	u, err := url.Parse(db)
	if err != nil {
		return "a postgres:// URL that does not parse"
	}
	return u.Redacted()
}

// Postgres opens the PostgreSQL database at url; its errors are one line
// saying what is wrong (a bad URL, nothing listening, no such database, a
// refused login) and what to do.
func Postgres(ctx context.Context, url string, readOnly bool, artifacts artifact.Config, bcryptCost int) (*postgres.Store, error) {
	opts := []postgres.Option{postgres.WithArtifactConfig(artifacts)}
	if readOnly {
		opts = append(opts, postgres.ReadOnly())
	}
	if bcryptCost > 0 {
		opts = append(opts, postgres.WithBcryptCost(bcryptCost))
	}
	s, err := postgres.Open(ctx, url, opts...)
	if err != nil {
		return nil, errors.New(core.ErrorMessageOrText(err))
	}
	return s, nil
}

// Daemon connects to the ddd at url. When nothing answers there, the error
// says how to start one; when the daemon answers and refuses (a wrong
// password, say), it says only that.
func Daemon(ctx context.Context, url string, opts daemon.Options) (*daemon.Client, error) {
	c, err := daemon.Connect(ctx, url, opts)
	var refused *core.Error
	switch {
	case err == nil:
		return c, nil
	case errors.As(err, &refused):
		return nil, errors.New(core.ErrorMessageOrText(err))
	}
	return nil, fmt.Errorf("%s\n(is ddd running there? start it with: ddd --db FILE.db)", core.ErrorMessageOrText(err))
}

// File opens a DuckDB file, explaining a file that is missing or that
// another process (most likely ddd) holds.
func File(path string, opts Options) (*duckdb.Store, error) {
	storeOpts := opts.StoreOptions
	if opts.ReadOnly {
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			msg := "there is no database at " + path
			if opts.MissingHint != "" {
				msg += "\n(" + opts.MissingHint + ")"
			}
			return nil, errors.New(msg)
		}
		storeOpts = append([]duckdb.Option{duckdb.ReadOnly()}, storeOpts...)
	}
	s, err := duckdb.Open(path, storeOpts...)
	if errors.Is(err, duckdb.ErrLocked) {
		// DuckDB names the process holding the lock; on Linux its
		// listening socket, or its --port, says where it serves.
		server := "http://HOST:PORT (the host and the port ddd serves)"
		if m := lockHolder.FindStringSubmatch(err.Error()); m != nil {
			pid, _ := strconv.Atoi(m[1])
			if addr := servedAddress(pid); addr != "" {
				server = "http://" + addr + "   (where PID " + m[1] + " serves)"
			}
		}
		return nil, fmt.Errorf("%s is in use by another process, most likely ddd serving it.\n"+
			"A DuckDB file has one writer, and no other process may open it meanwhile; connect to the daemon instead:\n"+
			"  --server %s", path, server)
	}
	if err != nil {
		return nil, errors.New(core.ErrorMessageOrText(err))
	}
	return s, nil
}

// lockHolder finds the process DuckDB names in a lock error.
var lockHolder = regexp.MustCompile(`\(PID (\d+)\)`)

// servedAddress is where process pid serves HTTP, read from /proc: the
// TCP socket it listens on (which also tells the port of ddd --port 0),
// else its --port flag or DEARDIARY_PORT; "" when none can be read.
func servedAddress(pid int) string {
	proc := "/proc/" + strconv.Itoa(pid)
	inodes := map[string]bool{}
	fds, _ := os.ReadDir(proc + "/fd")
	for _, fd := range fds {
		if link, err := os.Readlink(proc + "/fd/" + fd.Name()); err == nil && strings.HasPrefix(link, "socket:[") {
			inodes[strings.TrimSuffix(strings.TrimPrefix(link, "socket:["), "]")] = true
		}
	}
	for _, table := range []string{"tcp", "tcp6"} {
		data, _ := os.ReadFile(proc + "/net/" + table)
		for _, line := range strings.Split(string(data), "\n")[1:] {
			f := strings.Fields(line)
			if len(f) < 10 || f[3] != "0A" || !inodes[f[9]] { // 0A: listening
				continue
			}
			host, port, ok := strings.Cut(f[1], ":")
			n, err := strconv.ParseUint(port, 16, 16)
			if !ok || err != nil {
				continue
			}
			ip := "127.0.0.1" // the wildcard and loopback addresses are reached here
			if len(host) == 8 && host != "00000000" && host != "0100007F" {
				if b, err := strconv.ParseUint(host, 16, 32); err == nil {
					ip = fmt.Sprintf("%d.%d.%d.%d", byte(b), byte(b>>8), byte(b>>16), byte(b>>24))
				}
			}
			return ip + ":" + strconv.FormatUint(n, 10)
		}
	}
	cmdline, _ := os.ReadFile(proc + "/cmdline")
	args := strings.Split(string(cmdline), "\x00")
	for i, a := range args {
		a = strings.TrimPrefix(a, "-")
		if v, ok := strings.CutPrefix(a, "-port="); ok {
			return "127.0.0.1:" + v
		}
		if v, ok := strings.CutPrefix(a, "port="); ok {
			return "127.0.0.1:" + v
		}
		if (a == "-port" || a == "port") && i+1 < len(args) && args[i+1] != "" {
			return "127.0.0.1:" + args[i+1]
		}
	}
	environ, _ := os.ReadFile(proc + "/environ")
	for _, kv := range strings.Split(string(environ), "\x00") {
		if v, ok := strings.CutPrefix(kv, "DEARDIARY_PORT="); ok && v != "" && v != "0" {
			return "127.0.0.1:" + v
		}
	}
	return ""
}
