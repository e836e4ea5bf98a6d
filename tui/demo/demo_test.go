package demo_test

import (
	"context"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/core/duckdb"
	"github.com/deardiary/deardiary-go/tui/demo"
)

func TestBuild(t *testing.T) {
	ctx := context.Background()
	s, err := duckdb.Open(":memory:", duckdb.WithBcryptCost(bcrypt.MinCost))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := demo.Build(ctx, s); err != nil {
		t.Fatal(err)
	}
	projects, _ := s.ListProjects(ctx, core.ProjectFilter{})
	if len(projects) != 3 {
		t.Fatalf("%d projects", len(projects))
	}
	var statuses = map[core.IterationStatus]int{}
	var snapshots, dirty, points int
	for _, p := range projects {
		exps, _, _ := s.ListExperiments(ctx, core.ExperimentFilter{ProjectID: p.ID})
		for _, e := range exps {
			its, _, _ := s.ListIterations(ctx, core.IterationFilter{ExperimentID: e.ID})
			for _, it := range its {
				statuses[it.Status]++
				if snap, err := s.GetSnapshot(ctx, it.ID); err == nil {
					snapshots++
					if snap.Git.Dirty && len(snap.Git.Diff) > 0 {
						dirty++
					}
				}
			}
			sums, _ := s.MetricSummaries(ctx, core.SummaryFilter{ExperimentID: e.ID})
			for _, m := range sums {
				points += int(m.Count)
			}
		}
	}
	if statuses[core.IterationFailed] != 1 || statuses[core.IterationRunning] != 1 || statuses[core.IterationSucceeded] < 15 {
		t.Fatalf("statuses = %v", statuses)
	}
	if snapshots < 8 || dirty != 1 || points < 15000 {
		t.Fatalf("%d snapshots, %d dirty, %d points", snapshots, dirty, points)
	}
}

// No run ends after the demo was written, with or without the demo's
// clock; with it, runs last as long as their steps take.
func TestRunsEndBeforeTheDemoIsWritten(t *testing.T) {
	for _, clocked := range []bool{false, true} {
		ctx := context.Background()
		var clock *demo.Clock
		opts := []duckdb.Option{duckdb.WithBcryptCost(bcrypt.MinCost)}
		if clocked {
			clock = demo.NewClock(time.Now().Add(-8 * time.Hour))
			opts = append(opts, duckdb.WithClock(clock.Now))
		}
		s, err := duckdb.Open(":memory:", opts...)
		if err != nil {
			t.Fatal(err)
		}
		if err := demo.BuildWithClock(ctx, s, clock); err != nil {
			t.Fatal(err)
		}
		written := time.Now()
		projects, _ := s.ListProjects(ctx, core.ProjectFilter{})
		var running *core.Iteration
		longest := time.Duration(0)
		for _, p := range projects {
			exps, _, _ := s.ListExperiments(ctx, core.ExperimentFilter{ProjectID: p.ID})
			for _, e := range exps {
				its, _, _ := s.ListIterations(ctx, core.IterationFilter{ExperimentID: e.ID})
				for _, it := range its {
					if it.Status == core.IterationRunning {
						running = it
						continue
					}
					if it.EndDate.After(written) || it.EndDate.Before(it.CreatedDate) {
						t.Errorf("clock %v: a run created %v ends %v, the demo was written %v", clocked, it.CreatedDate, it.EndDate, written)
					}
					longest = max(longest, it.EndDate.Sub(it.CreatedDate))
				}
			}
		}
		if running == nil {
			t.Fatal("no run is running")
		}
		if clocked && longest < 10*time.Minute {
			t.Errorf("with the clock, the longest run took %v", longest)
		}
		s.Close()
	}
}
