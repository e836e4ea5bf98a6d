// Command sweep tracks a small learning-rate sweep, one driver iteration with
// a child per learning rate, then prints the run table. Offline, it writes a
// local DuckDB file; with --server it logs to a running ddd instead, through
// the same core.Tracker interface.
//
//	go run ./examples/sweep [FILE.db]
//	go run ./examples/sweep --server http://127.0.0.1:9000
//
// The file defaults to deardiary.db in the current directory; each run adds
// an experiment.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"time"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/core/duckdb"
	"github.com/deardiary/deardiary-go/daemon"
	"github.com/deardiary/deardiary-go/snapshot"
)

func main() {
	server := flag.String("server", "", "log to the ddd at this URL instead of a local file")
	flag.Parse()
	ctx := context.Background()
	var (
		tracker core.Tracker
		where   = "deardiary.db"
		err     error
	)
	if flag.NArg() > 0 {
		where = flag.Arg(0)
	}
	if *server != "" {
		where = *server
		tracker, err = daemon.Connect(ctx, *server, daemon.Options{
			Username: os.Getenv("DEARDIARY_USER"), Password: os.Getenv("DEARDIARY_PASSWORD"), Token: os.Getenv("DEARDIARY_TOKEN")})
	} else {
		tracker, err = duckdb.Open(where)
	}
	if err == nil {
		defer tracker.Close()
		err = run(ctx, os.Stdout, tracker, where)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "sweep:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, w io.Writer, tracker core.Tracker, where string) error {

	projects, err := tracker.ListProjects(ctx, core.ProjectFilter{Name: "Iris"})
	if err != nil {
		return err
	}
	var project string
	if len(projects) > 0 {
		project = projects[0].ID
	} else if project, err = tracker.CreateProject(ctx, core.ProjectCreate{Name: "Iris"}); err != nil {
		return err
	}
	name := "learning-rate sweep " + time.Now().UTC().Format("2006-01-02 15:04:05")
	experiment, err := tracker.CreateExperiment(ctx, core.ExperimentCreate{ProjectID: project, Name: name})
	if err != nil {
		return err
	}

	err = core.WithIteration(ctx, tracker, experiment, func(ctx context.Context, driver *core.Iteration) error {
		for _, lr := range []float64{0.3, 0.1, 0.03, 3.0} {
			// A failed trial is recorded as FAILED; the sweep goes on.
			_ = core.WithIteration(ctx, tracker, experiment, func(ctx context.Context, it *core.Iteration) error {
				return train(ctx, tracker, it.ID, lr)
			}, core.WithParent(driver.ID))
		}
		return nil
	}, core.WithNotes("trains a logistic model at four learning rates"),
		// Record this program's environment (go.mod, go.sum, git commit and
		// diff) with the driver, so `ddd restore` can rebuild it.
		snapshot.CaptureWorkingDir())
	if err != nil {
		return err
	}
	return printRuns(ctx, w, tracker, where, experiment)
}

// train pretends to fit a model: the loss decays at a rate set by the
// learning rate, and too large a rate diverges.
func train(ctx context.Context, t core.Tracker, iteration string, lr float64) error {
	for key, value := range map[string]any{"learning_rate": lr, "optimizer": "sgd", "epochs": 100} {
		if _, err := t.CreateParameter(ctx, iteration, key, value); err != nil {
			return err
		}
	}
	for epoch := range 100 {
		loss := 1.2 * math.Exp(-lr*float64(epoch)/4) * (1 + 0.05*math.Sin(float64(epoch)))
		if lr > 1 {
			loss = 1.2 * math.Exp(lr*float64(epoch)/20)
		}
		if loss > 10 {
			return fmt.Errorf("loss diverged to %.1f at epoch %d", loss, epoch)
		}
		if _, err := t.LogMetrics(ctx, iteration, core.MetricBatch{Metrics: []core.MetricInput{
			{Key: "loss", Value: loss},
			{Key: "accuracy", Value: max(0, 1-loss/2.4)},
		}}); err != nil {
			return err
		}
	}
	return nil
}

func printRuns(ctx context.Context, w io.Writer, t core.Tracker, path, experiment string) error {
	e, err := t.GetExperiment(ctx, experiment)
	if err != nil {
		return err
	}
	runs, _, err := t.ListIterations(ctx, core.IterationFilter{ExperimentID: experiment})
	if err != nil {
		return err
	}
	summaries, err := t.MetricSummaries(ctx, core.SummaryFilter{ExperimentID: experiment})
	if err != nil {
		return err
	}
	last := map[string]map[string]core.MetricSummary{}
	for _, s := range summaries {
		if last[s.IterationID] == nil {
			last[s.IterationID] = map[string]core.MetricSummary{}
		}
		last[s.IterationID][s.Key] = s
	}
	fmt.Fprintf(w, "%s: experiment %q, %d iterations\n\n", path, e.Name, len(runs))
	fmt.Fprintf(w, "  %-22s %-10s %10s %10s %10s\n", "iteration", "status", "lr", "loss", "accuracy")
	for _, it := range runs {
		label := "driver " + short(it.ID)
		lr := ""
		if it.ParentID != "" {
			label = "  trial " + short(it.ID)
			params, _, err := t.ListParameters(ctx, core.ParameterFilter{IterationID: it.ID})
			if err != nil {
				return err
			}
			for _, p := range params {
				if p.Key == "learning_rate" {
					lr = p.Value
				}
			}
		}
		loss, acc := "", ""
		if s, ok := last[it.ID]["loss"]; ok {
			loss = fmt.Sprintf("%.4f", s.Last)
		}
		if s, ok := last[it.ID]["accuracy"]; ok {
			acc = fmt.Sprintf("%.4f", s.Last)
		}
		fmt.Fprintf(w, "  %-22s %-10s %10s %10s %10s\n", label, it.Status, lr, loss, acc)
		if it.ErrorMessage != "" {
			fmt.Fprintf(w, "  %-22s %s\n", "", firstLine(it.ErrorMessage))
		}
	}
	if len(runs) == 0 {
		return errors.New("no iterations were recorded")
	}
	return nil
}

// short is enough of an id to tell runs apart: a UUID's last eight
// characters (its first ones are its time), or an integer id whole.
func short(id string) string { return id[max(0, len(id)-8):] }

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
