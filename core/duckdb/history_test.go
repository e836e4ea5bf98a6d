package duckdb

import (
	"context"
	"math"
	"slices"
	"testing"

	"github.com/deardiary/deardiary-go/core"
)

// TestLongHistoryReducedInDatabase checks the M4 path of MetricHistory: a
// long series keeps its ends and its extremes, whatever its first step, and
// a short series beside it is downsampled from all its points.
func TestLongHistoryReducedInDatabase(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	ctx := context.Background()
	id := mustID(t)
	p := id(s.CreateProject(ctx, core.ProjectCreate{Name: "p"}))
	e := id(s.CreateExperiment(ctx, core.ExperimentCreate{ProjectID: p, Name: "e"}))
	long := id(s.CreateIteration(ctx, core.IterationCreate{ExperimentID: e}))
	short := id(s.CreateIteration(ctx, core.IterationCreate{ExperimentID: e}))

	const first, n = 1000, 50_000
	var batch core.MetricBatch
	for step := int64(first); step < first+n; step++ {
		v := math.Sin(float64(step) / 500)
		switch step {
		case 30_017:
			v = 100
		case 40_003:
			v = -100
		}
		batch.Metrics = append(batch.Metrics, core.MetricInput{Key: "loss", Value: v, Step: new(step)})
	}
	for i := range 100 {
		batch.Metrics = append(batch.Metrics, core.MetricInput{Key: "loss", Value: 1 / float64(i+1), Step: new(int64(i))})
	}
	if _, err := s.LogMetrics(ctx, long, core.MetricBatch{Metrics: batch.Metrics[:n]}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LogMetrics(ctx, short, core.MetricBatch{Metrics: batch.Metrics[n:]}); err != nil {
		t.Fatal(err)
	}

	series, err := s.MetricHistory(ctx, core.HistoryQuery{Key: "loss", IterationIDs: []string{short, long}, MaxPoints: 200})
	if err != nil {
		t.Fatal(err)
	}
	if len(series) != 2 || series[0].IterationID != short || series[1].IterationID != long {
		t.Fatalf("series %+v, want short then long", series)
	}
	points := series[1].Points
	if len(points) != 200 {
		t.Fatalf("%d points, want 200", len(points))
	}
	if points[0].Step != first || points[len(points)-1].Step != first+n-1 {
		t.Errorf("ends at steps %d and %d, want %d and %d", points[0].Step, points[len(points)-1].Step, first, first+n-1)
	}
	if !slices.IsSortedFunc(points, func(a, b core.Point) int { return int(a.Step - b.Step) }) {
		t.Error("points out of step order")
	}
	for _, want := range []core.Point{{Step: 30_017, Value: 100}, {Step: 40_003, Value: -100}} {
		if !slices.Contains(points, want) {
			t.Errorf("extreme %+v lost", want)
		}
	}

	whole, err := s.MetricHistory(ctx, core.HistoryQuery{Key: "loss", IterationIDs: []string{short}})
	if err != nil {
		t.Fatal(err)
	}
	if want := core.Downsample(whole[0].Points, 200); !slices.Equal(series[0].Points, want) {
		t.Errorf("short series %v, want all of it %v", series[0].Points, want)
	}
	if series[0].Points[0].RecordedAt.IsZero() {
		t.Error("a series read whole lost its recording times")
	}
}

func TestChecksumSeesEveryChange(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	ctx := context.Background()
	sum := func() string {
		t.Helper()
		c, err := s.Checksum(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	before := sum()
	if sum() != before {
		t.Fatal("checksum is not stable")
	}
	p := mustID(t)(s.CreateProject(ctx, core.ProjectCreate{Name: "p"}))
	created := sum()
	if created == before {
		t.Fatal("a new row went unseen")
	}
	if err := s.UpdateProject(ctx, p, core.ProjectUpdate{Description: new("changed")}); err != nil {
		t.Fatal(err)
	}
	if sum() == created {
		t.Fatal("a changed value went unseen")
	}
}

// TestHistoryOfStepsAcrossInt64: a series whose steps span more than an
// int64 holds is still cut into equal step ranges, without overflow.
func TestHistoryOfStepsAcrossInt64(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	ctx, id := context.Background(), mustID(t)
	p := id(s.CreateProject(ctx, core.ProjectCreate{Name: "p"}))
	e := id(s.CreateExperiment(ctx, core.ExperimentCreate{ProjectID: p, Name: "e"}))
	it := id(s.CreateIteration(ctx, core.IterationCreate{ExperimentID: e}))
	var batch core.MetricBatch
	for i := range 200 {
		batch.Metrics = append(batch.Metrics, core.MetricInput{Key: "k", Value: float64(i), Step: new(math.MinInt64 + int64(i)*(math.MaxInt64/100))})
	}
	if _, err := s.LogMetrics(ctx, it, batch); err != nil {
		t.Fatal(err)
	}
	series, err := s.MetricHistory(ctx, core.HistoryQuery{Key: "k", IterationIDs: []string{it}, MaxPoints: 10})
	if err != nil {
		t.Fatal(err)
	}
	points := series[0].Points
	if len(points) != 10 || points[0].Value != 0 || points[9].Value != 199 {
		t.Errorf("points %v, want 10 from the first to the last", points)
	}
}
