package duckdb_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/core/duckdb"
)

// Offline mode: a training program tracks a run in a local DuckDB file.
// core/examples/sweep is a longer example.
func Example() {
	dir, _ := os.MkdirTemp("", "deardiary-example")
	defer os.RemoveAll(dir)
	ctx := context.Background()

	tracker, err := duckdb.Open(filepath.Join(dir, "deardiary.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer tracker.Close()
	project, _ := tracker.CreateProject(ctx, core.ProjectCreate{Name: "Iris"})
	experiment, _ := tracker.CreateExperiment(ctx, core.ExperimentCreate{ProjectID: project, Name: "baseline"})

	var run string
	err = core.WithIteration(ctx, tracker, experiment, func(ctx context.Context, it *core.Iteration) error {
		run = it.ID
		if _, err := tracker.CreateParameter(ctx, it.ID, "learning_rate", 1e-3); err != nil {
			return err
		}
		for _, loss := range []float64{0.9, 0.4, 0.2} {
			if _, err := tracker.LogMetric(ctx, it.ID, core.MetricInput{Key: "loss", Value: loss}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}

	it, _ := tracker.GetIteration(ctx, run)
	params, _, _ := tracker.ListParameters(ctx, core.ParameterFilter{IterationID: run})
	summaries, _ := tracker.MetricSummaries(ctx, core.SummaryFilter{IterationIDs: []string{run}})
	fmt.Println(it.Status, params[0].Key, params[0].Value)
	s := summaries[0]
	fmt.Printf("%s: last %.1f at step %d, min %.1f, %d points\n", s.Key, s.Last, s.LastStep, s.Min, s.Count)
	// Output:
	// SUCCEEDED learning_rate 0.001
	// loss: last 0.2 at step 2, min 0.2, 3 points
}
