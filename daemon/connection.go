package daemon

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/core/duckdb"
)

// Connection says where a command-line tool finds its tracker: a running
// daemon, or a database file opened in-process.
type Connection struct {
	Server, DBFile           string
	User, Password, Token    string
	StoreOptions             []duckdb.Option // tests lower the bcrypt cost
	client                   *Client
	store                    *duckdb.Store
	defaultServer, defaultDB string
}

// AddFlags registers --server, --db, --user, --password and --token, each
// defaulting to its DEARDIARY_* variable.
func (c *Connection) AddFlags(fs *flag.FlagSet, getenv func(string) string) {
	fs.StringVar(&c.Server, "server", "", "URL of a running ddd (DEARDIARY_URL)")
	fs.StringVar(&c.DBFile, "db", "", "a database file to open in-process instead (DEARDIARY_DB_FILE)")
	fs.StringVar(&c.User, "user", getenv("DEARDIARY_USER"), "username, when ddd requires auth (DEARDIARY_USER)")
	fs.StringVar(&c.Password, "password", getenv("DEARDIARY_PASSWORD"), "password (DEARDIARY_PASSWORD)")
	fs.StringVar(&c.Token, "token", getenv("DEARDIARY_TOKEN"), "a token instead of a password (DEARDIARY_TOKEN)")
	c.defaultServer, c.defaultDB = getenv("DEARDIARY_URL"), getenv("DEARDIARY_DB_FILE")
}

// Open connects to the daemon or opens the file. Flags win over the
// environment; naming both a server and a file is an error, and so is naming
// neither.
func (c *Connection) Open(ctx context.Context, opts ...duckdb.Option) (core.Tracker, error) {
	server, file := c.Server, c.DBFile
	if server != "" && file != "" {
		return nil, core.Invalid("give --server or --db, not both")
	}
	if server == "" && file == "" {
		server, file = c.defaultServer, c.defaultDB
		if server != "" {
			file = "" // a daemon named in the environment wins over a file
		}
	}
	switch {
	case server != "":
		cl, err := Connect(ctx, server, Options{Username: c.User, Password: c.Password, Token: c.Token})
		if err != nil {
			return nil, fmt.Errorf("%s\n(is ddd running there? start it with: ddd --db FILE.db)", core.ErrorMessageOrText(err))
		}
		c.client = cl
		return cl, nil
	case file != "":
		s, err := duckdb.Open(file, append(opts, c.StoreOptions...)...)
		if errors.Is(err, duckdb.ErrLocked) {
			return nil, fmt.Errorf("%s\nA DuckDB file has one writer; when ddd serves it, pass --server URL instead of --db", core.ErrorMessageOrText(err))
		}
		if err != nil {
			return nil, errors.New(core.ErrorMessageOrText(err))
		}
		c.store = s
		return s, nil
	}
	return nil, core.Invalid("name a daemon with --server URL (or DEARDIARY_URL), or a database file with --db FILE (or DEARDIARY_DB_FILE)")
}

// Close closes what Open opened.
func (c *Connection) Close() error {
	switch {
	case c.client != nil:
		return c.client.Close()
	case c.store != nil:
		return c.store.Close()
	}
	return nil
}

// localEndpoint serves ddd's API over a store the process holds, on
// loopback, so a child process can log to a file only its parent may open.
// Auth is on with a secret of its own: other local users cannot write.
type localEndpoint struct {
	url, token string
	srv        *http.Server
}

func serveLocal(ctx context.Context, store *duckdb.Store) (*localEndpoint, error) {
	secret := make([]byte, 32)
	rand.Read(secret)
	cfg := DefaultConfig()
	cfg.EnableAuth, cfg.JWTSecret = true, hex.EncodeToString(secret)
	api := NewServer(store, cfg, nil)
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
	e := &localEndpoint{url: "http://" + ln.Addr().String(), token: tok.AccessToken,
		srv: &http.Server{Handler: api, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}}
	go e.srv.Serve(ln)
	return e, nil
}

// close lets requests in flight finish, briefly.
func (e *localEndpoint) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	e.srv.Shutdown(ctx)
}
