package postgres_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/crypto/bcrypt"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/core/postgres"
	"github.com/deardiary/deardiary-go/core/postgres/pgtest"
)

// TestOpenSaysWhatIsWrong checks that each usual failure to connect comes
// back as one line that names it and says what to do.
func TestOpenSaysWhatIsWrong(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	url := pgtest.Schema(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	closedPort := l.Addr().(*net.TCPAddr).Port
	l.Close()
	missing := strings.Replace(url, "/pgtest?", "/nosuch?", 1)
	for name, c := range map[string]struct{ url, want string }{
		"bad URL":            {"postgres://u@127.0.0.1:notaport/db", "cannot read the PostgreSQL URL"},
		"connection refused": {fmt.Sprintf("postgres://u@127.0.0.1:%d/db?sslmode=disable", closedPort), "connection refused; start the server"},
		"missing database":   {missing, `has no database "nosuch"; create it`},
	} {
		_, err := postgres.Open(ctx, c.url)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error %v, want one line with %q", name, err, c.want)
		}
	}
}

func TestOpenRefusesSomebodyElsesTables(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := pgtest.Schema(t)
	conn, err := pgx.Connect(ctx, url)
	must(t, err)
	_, err = conn.Exec(ctx, `CREATE TABLE invoices (id int)`)
	conn.Close(ctx)
	must(t, err)
	_, err = postgres.Open(ctx, url)
	if core.ErrorCode(err) != core.EInvalid {
		t.Fatalf("open on another application's schema: %v", err)
	}
}

func TestOpensAtOnceMigrateOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := pgtest.Schema(t)
	const n = 6
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			s, err := postgres.Open(ctx, url, postgres.WithBcryptCost(bcrypt.MinCost))
			if err == nil {
				s.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for _, err := range errs {
		must(t, err)
	}
	conn, err := pgx.Connect(ctx, url)
	must(t, err)
	defer conn.Close(ctx)
	var versions, distinct, users int
	must(t, conn.QueryRow(ctx, `SELECT count(*), count(DISTINCT version) FROM schema_migrations`).Scan(&versions, &distinct))
	must(t, conn.QueryRow(ctx, `SELECT count(*) FROM "user"`).Scan(&users))
	if versions != distinct || versions < 5 || users != 1 {
		t.Fatalf("%d migrations recorded (%d distinct), %d users", versions, distinct, users)
	}
}

func TestReadOnly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := pgtest.Schema(t)
	if _, err := postgres.Open(ctx, url, postgres.ReadOnly()); core.ErrorCode(err) != core.EInvalid {
		t.Fatalf("read-only open of an empty database: %v", err)
	}
	w, err := postgres.Open(ctx, url, postgres.WithBcryptCost(bcrypt.MinCost))
	must(t, err)
	p, err := w.CreateProject(ctx, core.ProjectCreate{Name: "P"})
	must(t, err)
	w.Close()
	r, err := postgres.Open(ctx, url, postgres.ReadOnly())
	must(t, err)
	defer r.Close()
	if _, err := r.GetProject(ctx, p); err != nil {
		t.Fatal(err)
	}
	if _, err := r.CreateProject(ctx, core.ProjectCreate{Name: "Q"}); core.ErrorCode(err) != core.EInvalid {
		t.Fatalf("write on a read-only store: %v", err)
	}
	if _, err := r.LogMetric(ctx, p, core.MetricInput{Key: "loss", Value: 1}); core.ErrorCode(err) != core.EInvalid {
		t.Fatalf("point on a read-only store: %v", err)
	}
}

// TestLostConnections ends the store's connections from the server's side:
// the call that meets one fails with a message that says so, and the next
// gets a new connection.
func TestLostConnections(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := pgtest.Schema(t)
	name := fmt.Sprintf("lost-%d", time.Now().UnixNano())
	s, err := postgres.Open(ctx, url+"&application_name="+name, postgres.WithBcryptCost(bcrypt.MinCost), postgres.WithMaxConns(1))
	must(t, err)
	defer s.Close()
	p, err := s.CreateProject(ctx, core.ProjectCreate{Name: "P"})
	must(t, err)
	conn, err := pgx.Connect(ctx, url)
	must(t, err)
	defer conn.Close(ctx)
	var ended int
	must(t, conn.QueryRow(ctx, `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1`, name).Scan(&ended))
	if ended != 1 {
		t.Fatalf("ended %d connections, want the store's one", ended)
	}
	time.Sleep(100 * time.Millisecond) // the backend exits, and its socket closes
	_, err = s.GetProject(ctx, p)
	t.Logf("after the server ended the connection: %v", err)
	if !strings.Contains(core.ErrorMessage(err), "cannot reach the PostgreSQL server") {
		t.Fatalf("error %v (%q), want one that says the server is out of reach", err, core.ErrorMessage(err))
	}
	if _, err := s.GetProject(ctx, p); err != nil {
		t.Fatalf("the next call: %v", err)
	}
}
