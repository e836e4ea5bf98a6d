// Package pgtest runs the tests of a package against a real PostgreSQL: a
// throwaway cluster in a temporary directory, listening on a free loopback
// port, started once per test binary by Main and removed when it ends. Each
// test gets a database of its own from Database.
//
// The cluster is made with the server binaries of PostgreSQL 15 or later
// (Debian's /usr/lib/postgresql/<version>/bin). They refuse to run as root,
// so a root test process runs them as the postgres user. Without them tests
// skip, unless CI=true is in the environment Main is given: then a missing
// server fails the run.
//
// The cluster trades durability for speed (fsync off);
// DEARDIARY_PGTEST_FSYNC=on in that environment makes a durable one, to
// measure with.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// cluster is the running server of this test binary.
type cluster struct {
	dir    string // temp dir: data/, the socket, the log
	bin    string
	port   int
	asUser string // run the binaries as this user ("" for ourselves)
	admin  *pgx.Conn
	shared *pgx.Conn  // to sharedDatabase
	mu     sync.Mutex // guards admin and shared: one statement at a time
}

var (
	current  *cluster
	durable  bool   // fsync on: DEARDIARY_PGTEST_FSYNC=on
	skipWhy  string // why there is no cluster, when there is none
	dbNumber atomic.Int64
)

// dirPrefix names this package's temp dirs, so a later run can find the
// clusters of runs that died without stopping theirs.
const dirPrefix = "deardiary-pgtest-"

// Main starts the cluster, runs the tests and removes the cluster. getenv
// gives its settings (CI, DEARDIARY_PGTEST_FSYNC). Call it from TestMain:
//
//	func TestMain(m *testing.M) { pgtest.Main(m, os.Getenv) }
func Main(m *testing.M, getenv func(string) string) {
	os.Exit(run(m, getenv))
}

func run(m *testing.M, getenv func(string) string) int {
	ci := getenv("CI") == "true"
	durable = getenv("DEARDIARY_PGTEST_FSYNC") == "on"
	c, err := start()
	if err != nil {
		if ci {
			fmt.Fprintf(os.Stderr, "pgtest: %v (CI=true needs a real PostgreSQL)\n", err)
			return 1
		}
		skipWhy = err.Error()
		return m.Run()
	}
	current = c
	defer c.stop()
	return m.Run()
}

// Database creates an empty database for t and returns its URL; it is
// dropped when t ends. Without a server, t is skipped. A database costs a
// copy of template0 (a few hundred milliseconds on a busy machine); Schema
// is cheaper where a test does not need a database of its own.
func Database(t testing.TB) string {
	t.Helper()
	if current == nil {
		t.Skipf("no PostgreSQL: %s", skipWhy)
	}
	name := fmt.Sprintf("t%d_%d", os.Getpid(), dbNumber.Add(1))
	if err := current.exec(`CREATE DATABASE ` + name + ` TEMPLATE template0`); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	t.Cleanup(func() {
		if err := current.exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`); err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})
	return current.url(name)
}

// sharedDatabase holds the schemas Schema makes. Its collation sorts text
// as people do (en-US), not by bytes, where the server has ICU.
const sharedDatabase = "pgtest"

// Schema creates an empty schema for t in a database the package's tests
// share, and returns a URL whose search_path selects it; it is dropped
// when t ends. Without a server, t is skipped.
func Schema(t testing.TB) string {
	t.Helper()
	if current == nil {
		t.Skipf("no PostgreSQL: %s", skipWhy)
	}
	name := fmt.Sprintf("s%d", dbNumber.Add(1))
	if err := current.execIn(sharedDatabase, `CREATE SCHEMA `+name); err != nil {
		t.Fatalf("pgtest: create schema: %v", err)
	}
	t.Cleanup(func() {
		if err := current.execIn(sharedDatabase, `DROP SCHEMA IF EXISTS `+name+` CASCADE`); err != nil {
			t.Errorf("pgtest: drop schema %s: %v", name, err)
		}
	})
	return current.url(sharedDatabase) + "&search_path=" + name
}

func (c *cluster) url(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.port, db)
}

func (c *cluster) exec(sql string) error {
	return c.execIn("postgres", sql)
}

// execIn runs sql in the maintenance database or in sharedDatabase.
func (c *cluster) execIn(db, sql string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn := c.admin
	if db == sharedDatabase {
		conn = c.shared
	}
	_, err := conn.Exec(ctx, sql)
	return err
}

// binDir finds the server binaries of PostgreSQL 15 or later.
func binDir() (string, error) {
	var tried []string
	for _, v := range []string{"18", "17", "16", "15"} {
		dir := "/usr/lib/postgresql/" + v + "/bin"
		tried = append(tried, dir)
		if _, err := os.Stat(filepath.Join(dir, "pg_ctl")); err == nil {
			return dir, nil
		}
	}
	return "", fmt.Errorf("no PostgreSQL 15+ server binaries (looked in %s)", strings.Join(tried, ", "))
}

func start() (*cluster, error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	removeAbandoned(bin)
	c := &cluster{bin: bin}
	if os.Geteuid() == 0 {
		c.asUser = "postgres"
	}
	if c.dir, err = os.MkdirTemp("", dirPrefix); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(c.dir, "owner.pid"), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		return nil, err
	}
	if c.asUser != "" {
		u, err := user.Lookup(c.asUser)
		if err != nil {
			os.RemoveAll(c.dir)
			return nil, fmt.Errorf("running as root, and there is no %s user to run PostgreSQL as: %w", c.asUser, err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(c.dir, uid, gid); err != nil {
			os.RemoveAll(c.dir)
			return nil, err
		}
	}
	if err := c.initAndStart(); err != nil {
		c.stop()
		return nil, err
	}
	return c, nil
}

func (c *cluster) initAndStart() error {
	data := filepath.Join(c.dir, "data")
	if out, err := c.command("initdb", "-D", data, "-U", "postgres", "--auth=trust", "--encoding=UTF8",
		"--no-locale", "--no-sync").CombinedOutput(); err != nil {
		return fmt.Errorf("initdb: %v: %s", err, out)
	}
	fsync := "off"
	if durable {
		fsync = "on"
	}
	var lastErr error
	for range 5 { // a free port can be taken between finding and binding it
		port, err := freePort()
		if err != nil {
			return err
		}
		opts := strings.Join([]string{
			"-c port=" + strconv.Itoa(port),
			"-c listen_addresses=127.0.0.1",
			"-c unix_socket_directories=" + c.dir,
			"-c max_connections=300",
			"-c fsync=" + fsync,
			"-c full_page_writes=" + fsync,
			"-c shared_buffers=128MB",
		}, " ")
		out, err := c.command("pg_ctl", "start", "-w", "-t", "60", "-D", data, "-l", filepath.Join(c.dir, "server.log"), "-o", opts).CombinedOutput()
		if err != nil {
			log, _ := os.ReadFile(filepath.Join(c.dir, "server.log"))
			lastErr = fmt.Errorf("pg_ctl start: %v: %s\n%s", err, out, log)
			continue
		}
		c.port = port
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if c.admin, err = pgx.Connect(ctx, c.url("postgres")); err != nil {
			return err
		}
		// A locale whose order is not the bytes' (where the server has ICU),
		// so that tests notice SQL that leans on the database's collation.
		if _, err := c.admin.Exec(ctx, `CREATE DATABASE `+sharedDatabase+` TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C'`); err != nil {
			if _, err := c.admin.Exec(ctx, `CREATE DATABASE `+sharedDatabase); err != nil {
				return err
			}
		}
		c.shared, err = pgx.Connect(ctx, c.url(sharedDatabase))
		return err
	}
	return lastErr
}

// command runs a server binary, as the postgres user when we are root.
func (c *cluster) command(name string, args ...string) *exec.Cmd {
	path := filepath.Join(c.bin, name)
	if c.asUser == "" {
		return exec.Command(path, args...)
	}
	return exec.Command("runuser", append([]string{"-u", c.asUser, "--", path}, args...)...)
}

func (c *cluster) stop() {
	for _, conn := range []*pgx.Conn{c.shared, c.admin} {
		if conn != nil {
			conn.Close(context.Background())
		}
	}
	if _, err := os.Stat(filepath.Join(c.dir, "data", "postmaster.pid")); err == nil {
		_ = c.command("pg_ctl", "stop", "-w", "-m", "immediate", "-D", filepath.Join(c.dir, "data")).Run()
	}
	os.RemoveAll(c.dir)
}

// removeAbandoned stops and removes the clusters of earlier test binaries
// that died (a panic, a timeout) before they could remove their own.
func removeAbandoned(bin string) {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), dirPrefix+"*"))
	for _, dir := range dirs {
		b, err := os.ReadFile(filepath.Join(dir, "owner.pid"))
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || pid <= 0 || !errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) {
			continue // its owner still runs
		}
		c := &cluster{dir: dir, bin: bin}
		if os.Geteuid() == 0 {
			c.asUser = "postgres"
		}
		c.stop()
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
