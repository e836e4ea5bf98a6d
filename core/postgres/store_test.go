package postgres_test

import (
	"context"
	"os"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/core/postgres"
	"github.com/deardiary/deardiary-go/core/postgres/pgtest"
	"github.com/deardiary/deardiary-go/core/trackertest"
)

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(m.Run()) // a child of TestManyProcessesNumberTogether: the parent has the server
	}
	pgtest.Main(m, os.Getenv)
}

// open opens a store on a fresh database of t's.
func open(t testing.TB, opts ...postgres.Option) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), pgtest.Schema(t), append([]postgres.Option{postgres.WithBcryptCost(bcrypt.MinCost)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	t.Parallel()
	trackertest.Run(t, func(t *testing.T) core.Tracker { return open(t) })
}
