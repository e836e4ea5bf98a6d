package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deardiary/deardiary-go/core/duckdb"
	"github.com/deardiary/deardiary-go/daemon"
)

func TestSweepTracksEveryTrial(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	path := filepath.Join(t.TempDir(), "deardiary.db")
	tracker, err := duckdb.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer tracker.Close()
	for range 2 { // a second run adds an experiment to the same file
		out.Reset()
		if err := run(context.Background(), &out, tracker, path); err != nil {
			t.Fatal(err)
		}
	}
	checkOutput(t, out.String())
}

// TestSweepThroughDaemon runs the same program against a real ddd.
func TestSweepThroughDaemon(t *testing.T) {
	t.Parallel()
	store, err := duckdb.Open(filepath.Join(t.TempDir(), "deardiary.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	srv := httptest.NewServer(daemon.NewServer(store, daemon.DefaultConfig(), nil))
	defer srv.Close()
	c, err := daemon.Connect(context.Background(), srv.URL, daemon.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := run(context.Background(), &out, c, srv.URL); err != nil {
		t.Fatal(err)
	}
	checkOutput(t, out.String())
}

func checkOutput(t *testing.T, got string) {
	t.Helper()
	for _, want := range []string{"5 iterations", "driver", "SUCCEEDED", "0.3", "0.03", "FAILED", "loss diverged"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if n := strings.Count(got, "SUCCEEDED"); n != 4 {
		t.Errorf("%d SUCCEEDED runs, want the driver and three trials:\n%s", n, got)
	}
}
