package duckdb_test

import (
	"context"
	"fmt"
	"log"
	"math"
	"os"
	"path/filepath"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/core/duckdb"
)

// Offline mode: a training program tracks its runs in a local DuckDB file.
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
	experiment, _ := tracker.CreateExperiment(ctx, core.ExperimentCreate{ProjectID: project, Name: "learning-rate sweep"})

	// A sweep: one driver iteration, a child per learning rate.
	err = core.WithIteration(ctx, tracker, experiment, func(ctx context.Context, driver *core.Iteration) error {
		for _, lr := range []float64{0.1, 0.01} {
			err := core.WithIteration(ctx, tracker, experiment, func(ctx context.Context, it *core.Iteration) error {
				if _, err := tracker.CreateParameter(ctx, it.ID, "learning_rate", lr); err != nil {
					return err
				}
				for epoch := range 50 {
					loss := math.Exp(-lr * float64(epoch+1))
					if _, err := tracker.LogMetrics(ctx, it.ID, core.MetricBatch{Metrics: []core.MetricInput{
						{Key: "loss", Value: loss}, {Key: "accuracy", Value: 1 - loss/2},
					}}); err != nil {
						return err
					}
				}
				return nil
			}, core.WithParent(driver.ID))
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}

	iterations, _, _ := tracker.ListIterations(ctx, core.IterationFilter{ExperimentID: experiment})
	summaries, _ := tracker.MetricSummaries(ctx, core.SummaryFilter{ExperimentID: experiment})
	for _, it := range iterations {
		params, _, _ := tracker.ListParameters(ctx, core.ParameterFilter{IterationID: it.ID})
		line := it.Status.String()
		for _, p := range params {
			line += fmt.Sprintf(" %s=%s", p.Key, p.Value)
		}
		for _, s := range summaries {
			if s.IterationID == it.ID {
				line += fmt.Sprintf(" %s=%.4f@%d", s.Key, s.Last, s.LastStep)
			}
		}
		if it.ParentID != "" {
			line = "  " + line
		}
		fmt.Println(line)
	}
	// Output:
	// SUCCEEDED
	//   SUCCEEDED learning_rate=0.1 accuracy=0.9966@49 loss=0.0067@49
	//   SUCCEEDED learning_rate=0.01 accuracy=0.6967@49 loss=0.6065@49
}
