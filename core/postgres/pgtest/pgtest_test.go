package pgtest_test

import (
	"context"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/deardiary/deardiary-go/core/postgres/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m, os.Getenv) }

func TestDatabasesAreSeparate(t *testing.T) {
	t.Run("databases", func(t *testing.T) { separate(t, pgtest.Database(t), pgtest.Database(t)) })
	t.Run("schemas", func(t *testing.T) { separate(t, pgtest.Schema(t), pgtest.Schema(t)) })
}

func separate(t *testing.T, a, b string) {
	ctx := context.Background()
	if a == b {
		t.Fatal("two tests share a database")
	}
	conn, err := pgx.Connect(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `CREATE TABLE x (id int)`); err != nil {
		t.Fatal(err)
	}
	other, err := pgx.Connect(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close(ctx)
	var n int
	if err := other.QueryRow(ctx, `SELECT count(*) FROM information_schema.tables WHERE table_name = 'x' AND table_schema = current_schema()`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("the second database sees the first's table: %d, %v", n, err)
	}
}
