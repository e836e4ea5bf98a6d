package duckdb

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/deardiary/deardiary-go/core"
)

func TestParseSize(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]int64{
		"64MB": 64e6, "64mb": 64e6, " 1.5 GiB ": 3 << 29, "4g": 4e9, "512m": 512e6, "2 gigabytes": 2e9, "512KiB": 512 << 10, "7B": 7,
	} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "MB", "64 MBs", "-1MB", "0", "100000", "1e9", "64 MB extra", "1.2.3GB", "none", "-1"} {
		if _, err := parseSize(bad); err == nil {
			t.Errorf("parseSize(%q) accepted", bad)
		}
	}
	// What DuckDB takes, the store takes, with a budget when it is a size.
	for limit, base := range map[string]int64{"4g": 4e9, "none": 0, "-1": 0} {
		s, err := Open(":memory:", WithMemoryLimit(limit))
		if err != nil {
			t.Errorf("Open with a memory limit of %s: %v", limit, err)
			continue
		}
		if got := s.mem; (base == 0) != (got == nil) || got != nil && got.base != base {
			t.Errorf("memory limit %s: budget %+v, want a base of %d", limit, got, base)
		}
		s.Close()
	}
	if s, err := Open(filepath.Join(t.TempDir(), "x.db"), WithMemoryLimit("lots")); err == nil || !strings.Contains(err.Error(), "a size such as 64MB") {
		t.Errorf("Open with a memory limit of lots: %v", err)
		if s != nil {
			s.Close()
		}
	}
}

// TestLargeValueBorrowsMemory writes and reads a 32 MiB resource under a
// 32MB limit, which DuckDB alone cannot read it back under, and checks the
// limit is back where it was.
func TestLargeValueBorrowsMemory(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("moves 32 MiB")
	}
	ctx, id := context.Background(), mustID(t)
	s, err := Open(filepath.Join(t.TempDir(), "m.db"), WithMemoryLimit("32MB"))
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
	if after := limit(); after != before {
		t.Errorf("memory limit %s after the read, %s before", after, before)
	}
	s.mem = nil
	if _, err := s.OpenResource(ctx, r); err == nil {
		t.Error("the read fit without borrowing: the test no longer shows the need")
	}
}

// TestRebuildAtOpenIgnoresTheLimit opens a file whose summaries and rollup
// must be rebuilt (as after DearDiary.jl or an older version wrote to it)
// under a memory limit far too small for the rebuild: the open lifts it for
// the rebuild, and the store then runs under it.
func TestRebuildAtOpenIgnoresTheLimit(t *testing.T) {
	t.Parallel()
	ctx, id := context.Background(), mustID(t)
	path := filepath.Join(t.TempDir(), "rebuild.db")
	s, err := Open(path, WithBcryptCost(bcrypt.MinCost))
	if err != nil {
		t.Fatal(err)
	}
	p := id(s.CreateProject(ctx, core.ProjectCreate{Name: "p"}))
	e := id(s.CreateExperiment(ctx, core.ExperimentCreate{ProjectID: p, Name: "e"}))
	for range 4 {
		it := id(s.CreateIteration(ctx, core.IterationCreate{ExperimentID: e}))
		for b := range 50 {
			batch := core.MetricBatch{Metrics: make([]core.MetricInput, 5000)}
			for i := range batch.Metrics {
				batch.Metrics[i] = core.MetricInput{Key: []string{"loss", "acc"}[i%2], Value: float64(i), Step: new(int64(b*5000 + i))}
			}
			if _, err := s.LogMetrics(ctx, it, batch); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, q := range []string{`DELETE FROM metric_rollup`, `DELETE FROM metric_summary`, `DELETE FROM metric_summary_delta`} {
		if _, err := s.db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	s, err = Open(path, WithMemoryLimit("16MB"))
	if err != nil {
		t.Fatalf("opening a million points that need new summaries under 16MB: %v", err)
	}
	defer s.Close()
	var limit string
	if err := s.db.QueryRow(`SELECT current_setting('memory_limit')`).Scan(&limit); err != nil || limit != "15.2 MiB" {
		t.Fatalf("the limit after the rebuild is %q (%v), want 16MB back", limit, err)
	}
	sums, err := s.MetricSummaries(ctx, core.SummaryFilter{ExperimentID: e})
	if err != nil || len(sums) != 8 || sums[0].Count != 125_000 {
		t.Fatalf("summaries after the rebuild: %d, %v", len(sums), err)
	}
}
