package daemon_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/daemon"
	"github.com/deardiary/deardiary-go/daemon/daemontest"
)

// integerStore answers as a store of DearDiary.jl 0.9.1's integer ids would,
// for the few calls TestIntegerIDsOnTheWire makes; any other panics.
type integerStore struct {
	core.Tracker
	mu  sync.Mutex
	got core.ModelVersionCreate
}

func (*integerStore) GetUserByUsername(_ context.Context, name string) (*core.User, error) {
	return &core.User{ID: "1", Username: name, IsAdmin: true}, nil
}

func (s *integerStore) CreateModelVersion(_ context.Context, in core.ModelVersionCreate) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got = in
	return "9", nil
}

func (s *integerStore) created() core.ModelVersionCreate {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.got
}

func (*integerStore) GetModelVersion(_ context.Context, id string) (*core.ModelVersion, error) {
	return &core.ModelVersion{ID: id, ModelID: "7", Version: 1, IterationID: "42", Stage: core.StageNone}, nil
}

// TestIntegerIDsOnTheWire: over a store of integer ids, ids travel as JSON
// numbers both ways, as DearDiary.jl 0.9.1 and its client expect, and the Go
// client sends and reads them so.
func TestIntegerIDsOnTheWire(t *testing.T) {
	t.Parallel()
	store := &integerStore{}
	srv := daemon.NewServer(store, daemon.DefaultConfig(), nil)
	var bodyMu sync.Mutex
	var lastBody []byte // of the last request, as the client sent it
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodyMu.Lock()
		lastBody = b
		bodyMu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(b))
		srv.ServeHTTP(w, r)
	}))
	defer web.Close()
	c := daemontest.API{T: t, Base: web.URL}

	a := c.Expect(c.Do("POST", "/modelversion/model/7", `{"iteration_id": 42, "resource_id": 5, "description": "v"}`), 201, "")
	if got := store.created(); string(a.Body) != "{\"modelversion_id\":9}\n" || got.ModelID != "7" || got.IterationID != "42" || got.ResourceID != "5" {
		t.Fatalf("answered %s; the store got %+v", a.Body, got)
	}
	a = c.Expect(c.Do("POST", "/modelversion/model/7", `{"iteration_id": 4.2}`), 422, core.EInvalid)
	if !strings.Contains(a.Str("message"), `"iteration_id"`) {
		t.Fatalf("a fractional id: %s", a.Body)
	}
	a = c.Expect(c.Do("GET", "/modelversion/9", nil), 200, "")
	if !strings.Contains(string(a.Body), `"id":9,"model_id":7,"version":1,"iteration_id":42,"resource_id":null,`) {
		t.Fatalf("a version of integer ids answers %s", a.Body)
	}

	client, err := daemon.Connect(context.Background(), web.URL, daemon.Options{})
	if err != nil {
		t.Fatal(err)
	}
	id, err := client.CreateModelVersion(context.Background(), core.ModelVersionCreate{ModelID: "7", IterationID: "43"})
	bodyMu.Lock()
	sent := string(lastBody)
	bodyMu.Unlock()
	if got := store.created(); err != nil || id != "9" || got.IterationID != "43" || got.ResourceID != "" || !strings.Contains(sent, `"iteration_id":43`) {
		t.Fatalf("client create: %q, %v; it sent %s, the store got %+v", id, err, sent, got)
	}
	v, err := client.GetModelVersion(context.Background(), "9")
	if err != nil || v.ID != "9" || v.ModelID != "7" || v.IterationID != "42" || v.ResourceID != "" {
		t.Fatalf("client get: %+v, %v", v, err)
	}
}
