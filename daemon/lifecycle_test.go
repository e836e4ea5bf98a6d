package daemon_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/core/duckdb"
	"github.com/deardiary/deardiary-go/daemon"
	"github.com/deardiary/deardiary-go/daemon/daemontest"
)

type panicky struct{ core.Tracker }

func (panicky) GetProject(context.Context, string) (*core.Project, error) { panic("boom") }

func TestPanicAnswers500AndServingGoesOn(t *testing.T) {
	t.Parallel()
	store, err := duckdb.Open(":memory:", duckdb.WithBcryptCost(bcrypt.MinCost))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var logs strings.Builder
	srv := httptest.NewServer(daemon.NewServer(panicky{store}, daemon.DefaultConfig(), newTextLogger(&logs)))
	defer srv.Close()
	c := daemontest.API{T: t, Base: srv.URL}
	a := c.Expect(c.Do("GET", "/project/x", nil), http.StatusInternalServerError, core.EInternal)
	if strings.Contains(string(a.Body), "boom") {
		t.Fatalf("the panic leaked to the client: %s", a.Body)
	}
	if !strings.Contains(logs.String(), "boom") {
		t.Fatal("the panic was not logged")
	}
	c.Expect(c.Do("GET", "/health", nil), 200, "")
}
