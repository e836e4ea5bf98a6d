package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

func TestSweepTracksEveryTrial(t *testing.T) {
	var out bytes.Buffer
	path := filepath.Join(t.TempDir(), "deardiary.db")
	for range 2 { // a second run adds an experiment to the same file
		out.Reset()
		if err := run(context.Background(), &out, path); err != nil {
			t.Fatal(err)
		}
	}
	got := out.String()
	for _, want := range []string{"5 iterations", "driver", "SUCCEEDED", "0.3", "0.03", "FAILED", "loss diverged"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if n := strings.Count(got, "SUCCEEDED"); n != 4 {
		t.Errorf("%d SUCCEEDED runs, want the driver and three trials:\n%s", n, got)
	}
}
