package duckdb

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/deardiary/deardiary-go/core"
)

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{
		"64MB": 64e6, "64mb": 64e6, " 1.5 GiB ": 3 << 29, "100000": 100000, "2 gigabytes": 2e9, "512KiB": 512 << 10, "7B": 7,
	} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "MB", "64 MBs", "-1MB", "0", "1e9", "64 MB extra", "1.2.3GB"} {
		if _, err := parseSize(bad); err == nil {
			t.Errorf("parseSize(%q) accepted", bad)
		}
	}
	if _, err := Open(":memory:", WithMemoryLimit("lots")); core.ErrorCode(err) != core.EInvalid {
		t.Errorf("Open with a memory limit of lots: %v, want EInvalid", err)
	}
}

// TestLargeValueBorrowsMemory writes and reads a 32 MiB resource under a
// 64MB limit, and checks the limit is back where it was.
func TestLargeValueBorrowsMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("moves 32 MiB")
	}
	ctx, id := context.Background(), mustID(t)
	s, err := Open(filepath.Join(t.TempDir(), "m.db"), WithMemoryLimit("64MB"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	limit := func() string {
		var v string
		if err := s.db.QueryRow(`SELECT current_setting('memory_limit')`).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	p := id(s.CreateProject(ctx, core.ProjectCreate{Name: "p"}))
	e := id(s.CreateExperiment(ctx, core.ExperimentCreate{ProjectID: p, Name: "e"}))
	data := make([]byte, 32<<20)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	before := limit()
	r := id(s.CreateResource(ctx, core.ResourceCreate{ExperimentID: e, Name: "weights"}, bytes.NewReader(data)))
	if after := limit(); after != before {
		t.Errorf("memory limit %s after the write, %s before", after, before)
	}
	rc, err := s.OpenResource(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if got, err := io.ReadAll(rc); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read back %d bytes (%v), want the %d written", len(got), err, len(data))
	}
}
