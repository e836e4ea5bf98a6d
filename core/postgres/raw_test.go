package postgres_test

import (
	"context"
	"testing"

	"github.com/deardiary/deardiary-go/core"
)

// TestRebuildSummaries copies points in behind the store's back, as ddd
// copy does, and checks that the rebuild gives the summaries the store's
// own writes give, leaving current ones alone.
func TestRebuildSummaries(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := open(t)
	defer s.Close()
	p, err := s.CreateProject(ctx, core.ProjectCreate{Name: "P"})
	if err != nil {
		t.Fatal(err)
	}
	e, err := s.CreateExperiment(ctx, core.ExperimentCreate{ProjectID: p, Name: "E"})
	if err != nil {
		t.Fatal(err)
	}
	var its []string
	for range 3 {
		it, err := s.CreateIteration(ctx, core.IterationCreate{ExperimentID: e})
		if err != nil {
			t.Fatal(err)
		}
		its = append(its, it)
		var b core.MetricBatch
		for step := range int64(50) {
			// Ties on the last step: the later time, then the larger id wins.
			b.Metrics = append(b.Metrics, core.MetricInput{Key: "loss", Value: 1 / float64(step+1), Step: new(step)},
				core.MetricInput{Key: "acc", Value: float64(step % 7), Step: new(step / 2)})
		}
		if _, err := s.LogMetrics(ctx, it, b); err != nil {
			t.Fatal(err)
		}
	}
	want, err := s.MetricSummaries(ctx, core.SummaryFilter{ExperimentID: e})
	if err != nil {
		t.Fatal(err)
	}
	// The first iteration's rows go, the second's are wrong, the third's
	// stay; a row for a series without points appears.
	for _, stmt := range []string{
		`DELETE FROM metric_summary WHERE iteration_id = '` + its[0] + `'`,
		`UPDATE metric_summary SET count = 1, last_value = 42 WHERE iteration_id = '` + its[1] + `'`,
		`INSERT INTO metric_summary (iteration_id, key, count, min_value, max_value, first_step, last_step, last_value, last_recorded_at)
			VALUES ('` + its[2] + `', 'gone', 3, 0, 1, 0, 2, 1, '2026-01-01T00:00:00.000')`,
	} {
		if _, err := s.Raw().Exec(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.RebuildSummaries(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != 4 {
		t.Errorf("summarised %d series, want the 4 that were missing or wrong", n)
	}
	got, err := s.MetricSummaries(ctx, core.SummaryFilter{ExperimentID: e})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("got %d summaries, want %d:\n%+v\n%+v", len(got), len(want), got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("summary %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
	// The next automatic step continues the rebuilt series.
	id, err := s.LogMetric(ctx, its[0], core.MetricInput{Key: "loss", Value: 0})
	if err != nil {
		t.Fatal(err)
	}
	if m, err := s.GetMetric(ctx, id); err != nil || m.Step != 50 {
		t.Errorf("next step %+v, %v; want 50", m, err)
	}
}
