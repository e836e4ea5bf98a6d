package duckdb_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/core/duckdb"
)

// TestLongHistoryUnderMemoryLimit reads a whole live series, its points
// logged but not yet checkpointed, under ddd's memory limit: sorted at once
// it ran DuckDB out of memory; read a range of steps at a time it fits,
// through MetricHistory and StreamHistory alike, in order and complete.
func TestLongHistoryUnderMemoryLimit(t *testing.T) {
	t.Parallel()
	points := 300_000
	if os.Getenv("DEARDIARY_TEST_LONG") != "" {
		points = 2_000_000
	}
	ctx := context.Background()
	s, err := duckdb.Open(filepath.Join(t.TempDir(), "long.db"), duckdb.WithMemoryLimit("48MB"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p, _ := s.CreateProject(ctx, core.ProjectCreate{Name: "p"})
	e, _ := s.CreateExperiment(ctx, core.ExperimentCreate{ProjectID: p, Name: "e"})
	it, _ := s.CreateIteration(ctx, core.IterationCreate{ExperimentID: e})
	batch := make([]core.MetricInput, 10_000)
	for done := 0; done < points; done += len(batch) {
		for i := range batch {
			batch[i] = core.MetricInput{Key: "loss", Value: float64(done + i), Step: new(int64(points - done - i))} // steps descending
		}
		if _, err := s.LogMetrics(ctx, it, core.MetricBatch{Metrics: batch}); err != nil {
			t.Fatal(err)
		}
	}
	h, err := s.MetricHistory(ctx, core.HistoryQuery{Key: "loss", IterationIDs: []string{it}})
	if err != nil {
		t.Fatalf("history of %d points: %v", points, err)
	}
	if got := h[0].Points; len(got) != points || got[0].Step != 1 || got[len(got)-1].Step != int64(points) {
		t.Fatalf("%d points from step %d to %d", len(got), got[0].Step, got[len(got)-1].Step)
	}
	n, last := 0, int64(0)
	err = s.StreamHistory(ctx, core.HistoryQuery{Key: "loss", IterationIDs: []string{it}}, func(id string, p core.Point) error {
		if id != it || p.Step <= last {
			t.Fatalf("point %d: step %d of %s after step %d", n, p.Step, id, last)
		}
		n, last = n+1, p.Step
		return nil
	})
	if err != nil || n != points {
		t.Fatalf("streamed %d points of %d: %v", n, points, err)
	}
}

// TestLongHistoryAfterCrash reads a long series from a file whose last
// writer stopped without closing it (its files copied while it was open):
// the points replayed from DuckDB's log read back whole under ddd's limit.
func TestLongHistoryAfterCrash(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	s, err := duckdb.Open(filepath.Join(dir, "live.db"), duckdb.WithMemoryLimit("48MB"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p, _ := s.CreateProject(ctx, core.ProjectCreate{Name: "p"})
	e, _ := s.CreateExperiment(ctx, core.ExperimentCreate{ProjectID: p, Name: "e"})
	it, _ := s.CreateIteration(ctx, core.IterationCreate{ExperimentID: e})
	batch := make([]core.MetricInput, 10_000)
	const points = 250_000
	for done := 0; done < points; done += len(batch) {
		for i := range batch {
			batch[i] = core.MetricInput{Key: "loss", Value: float64(done + i)}
		}
		if _, err := s.LogMetrics(ctx, it, core.MetricBatch{Metrics: batch}); err != nil {
			t.Fatal(err)
		}
	}
	// A read commits what the writer held; the copy is then what a crash
	// right after it leaves behind.
	if _, err := s.MetricSummaries(ctx, core.SummaryFilter{IterationIDs: []string{it}}); err != nil {
		t.Fatal(err)
	}
	for _, suffix := range []string{"", ".wal", ".journal"} {
		if b, err := os.ReadFile(filepath.Join(dir, "live.db"+suffix)); err == nil {
			os.WriteFile(filepath.Join(dir, "crashed.db"+suffix), b, 0o644)
		}
	}
	crashed, err := duckdb.Open(filepath.Join(dir, "crashed.db"), duckdb.WithMemoryLimit("48MB"))
	if err != nil {
		t.Fatal(err)
	}
	defer crashed.Close()
	h, err := crashed.MetricHistory(ctx, core.HistoryQuery{Key: "loss", IterationIDs: []string{it}})
	if err != nil || len(h) != 1 || len(h[0].Points) != points {
		t.Fatalf("history after the crash: %v", err)
	}
}
