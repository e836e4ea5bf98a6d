package demo_test

import (
	"context"
	"testing"

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
