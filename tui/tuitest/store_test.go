package tuitest_test

import (
	"context"
	"testing"
	"time"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/tui/tuitest"
)

func TestSummariesAndHistory(t *testing.T) {
	t.Parallel()
	s := tuitest.New(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	e := s.AddExperiment(s.AddProject("p", ""), "e", "")
	driver := s.AddIteration(e, tuitest.Run{Status: core.IterationSucceeded, Params: map[string]string{"lr": "0.1"}})
	child := s.AddIteration(e, tuitest.Run{Parent: driver})
	s.Log(child, "loss", 3, 1, 2)
	ctx := context.Background()
	sums, err := s.MetricSummaries(ctx, core.SummaryFilter{ExperimentID: e.ID})
	if err != nil || len(sums) != 1 {
		t.Fatalf("%v %v", sums, err)
	}
	if m := sums[0]; m.Last != 2 || m.Min != 1 || m.Max != 3 || m.LastStep != 2 || m.Count != 3 {
		t.Fatalf("summary %+v", m)
	}
	its, n, _ := s.ListIterations(ctx, core.IterationFilter{ExperimentID: e.ID, Status: core.IterationRunning, Page: core.Page{Limit: 1}})
	if n != 1 || its[0].ParentID != driver.ID || !its[0].EndDate.IsZero() {
		t.Fatalf("running: %d %+v", n, its)
	}
	params, _, _ := s.ListParameters(ctx, core.ParameterFilter{ExperimentID: e.ID})
	if len(params) != 1 || params[0].Value != "0.1" {
		t.Fatalf("params %+v", params)
	}
	if _, err := s.GetSnapshot(ctx, child.ID); !core.IsNotFound(err) {
		t.Fatalf("snapshot of a run without one: %v", err)
	}
}

func TestHoldUntilReleased(t *testing.T) {
	t.Parallel()
	s := tuitest.New(time.Now())
	s.AddProject("p", "")
	gate := s.Hold("ListProjects")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		_, err := s.ListProjects(ctx, core.ProjectFilter{})
		done <- err
	}()
	for s.Waiting() == 0 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	select {
	case <-done:
		t.Fatal("a held call returned before the release")
	case <-time.After(10 * time.Millisecond):
	}
	if held := gate.Held(); len(held) != 1 || held[0].Ctx.Err() == nil {
		t.Fatalf("held %+v", held)
	}
	gate.Release()
	if err := <-done; err != context.Canceled {
		t.Fatalf("a cancelled caller got %v", err)
	}
	if _, err := s.ListProjects(context.Background(), core.ProjectFilter{}); err != nil || s.Calls("ListProjects") != 2 {
		t.Fatalf("after the release: %v, %d calls", err, s.Calls("ListProjects"))
	}
}
