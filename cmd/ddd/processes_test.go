package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/core/duckdb"
	"github.com/deardiary/deardiary-go/daemon"
	"github.com/deardiary/deardiary-go/daemon/daemontest"
)

// Several writer processes, each with many goroutines, share one ddd, as
// training jobs on many machines do.
const (
	writerProcesses    = 4
	writerGoroutines   = 8
	pointsPerRoutine   = 25 // auto-stepped single points
	versionsPerRoutine = 3  // model versions
)

// writerPlan is what a writer process is given.
type writerPlan struct {
	URL, Iteration, Model, Project string
}

// writerReport is what a writer process prints when done: its errors, and
// which of the races for a unique name it won.
type writerReport struct {
	Errors              []string
	WonUser, WonModel   bool
	LostUser, LostModel string // the losers' error codes
}

// TestWriterProcesses checks that steps, model version numbers and unique
// names never repeat when several processes write at once, and that the
// counts match exactly, through the API and in the file after shutdown.
func TestWriterProcesses(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts ddd and writer processes")
	}
	path := filepath.Join(t.TempDir(), "shared.db")
	srv := startChild(t, "ddd", path)
	c := daemontest.API{T: t, Base: "http://" + srv.addr}
	project, _, iteration := c.Seed()
	model := c.Expect(c.Do("POST", "/model/project/"+project, map[string]any{"name": "shared"}), 201, "").Str("model_id")
	plan, _ := json.Marshal(writerPlan{URL: c.Base, Iteration: iteration, Model: model, Project: project})

	reports := make([]writerReport, writerProcesses)
	var wg sync.WaitGroup
	for p := range writerProcesses {
		wg.Go(func() {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), serveMode+"=client-writer", "DEARDIARY_WRITER_PLAN="+string(plan))
			cmd.Stderr = os.Stderr
			out, err := cmd.Output()
			if err != nil {
				reports[p].Errors = []string{fmt.Sprintf("writer process %d: %v", p, err)}
				return
			}
			if err := json.Unmarshal(out, &reports[p]); err != nil {
				reports[p].Errors = []string{fmt.Sprintf("writer process %d printed %q", p, out)}
			}
		})
	}
	wg.Wait()
	wonUser, wonModel := 0, 0
	for p, r := range reports {
		for _, e := range r.Errors {
			t.Errorf("process %d: %s", p, e)
		}
		if r.WonUser {
			wonUser++
		} else if r.LostUser != core.EConflict {
			t.Errorf("process %d lost the user race with %q, want %s", p, r.LostUser, core.EConflict)
		}
		if r.WonModel {
			wonModel++
		} else if r.LostModel != core.EConflict {
			t.Errorf("process %d lost the model race with %q, want %s", p, r.LostModel, core.EConflict)
		}
	}
	if wonUser != 1 || wonModel != 1 {
		t.Fatalf("%d processes created the user and %d the model, want exactly one each", wonUser, wonModel)
	}
	if t.Failed() {
		t.FailNow()
	}

	client, err := daemon.Connect(context.Background(), c.Base, daemon.Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkShared(t, client, iteration, model, project)
	srv.stdin.Close() // ddd shuts down gracefully at EOF
	if err := srv.cmd.Wait(); err != nil {
		t.Fatalf("ddd: %v", err)
	}
	store, err := duckdb.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	checkShared(t, store, iteration, model, project)
}

// checkShared reads what the writers made and checks its counts and
// numbering: steps 0..n-1 once each, versions 1..m once each.
func checkShared(t *testing.T, tr core.Tracker, iteration, model, project string) {
	t.Helper()
	ctx := context.Background()
	const points = writerProcesses * writerGoroutines * pointsPerRoutine
	history, err := tr.MetricHistory(ctx, core.HistoryQuery{Key: "shared", IterationIDs: []string{iteration}})
	if err != nil || len(history) != 1 {
		t.Fatalf("history: %v, %d series", err, len(history))
	}
	var steps []int64
	for _, p := range history[0].Points {
		steps = append(steps, p.Step)
	}
	slices.Sort(steps)
	if len(steps) != points {
		t.Fatalf("%d points, want %d", len(steps), points)
	}
	for i, s := range steps {
		if s != int64(i) {
			t.Fatalf("step %d is %d: steps repeat or skip", i, s)
		}
	}
	sums, err := tr.MetricSummaries(ctx, core.SummaryFilter{IterationIDs: []string{iteration}})
	if err != nil || len(sums) != 1 || sums[0].Count != points || sums[0].LastStep != points-1 {
		t.Fatalf("summary %+v, %v: want %d points up to step %d", sums, err, points, points-1)
	}
	const versions = writerProcesses * writerGoroutines * versionsPerRoutine
	vs, total, err := tr.ListModelVersions(ctx, core.ModelVersionFilter{ModelID: model, Page: core.Page{Limit: 1000}})
	if err != nil || total != versions || len(vs) != versions {
		t.Fatalf("%d (%d) versions, %v; want %d", len(vs), total, err, versions)
	}
	numbers := make([]int64, len(vs))
	for i, v := range vs {
		numbers[i] = v.Version
	}
	slices.Sort(numbers)
	for i, n := range numbers {
		if n != int64(i+1) {
			t.Fatalf("version %d is numbered %d: numbers repeat or skip", i+1, n)
		}
	}
	models, total, err := tr.ListModels(ctx, core.ModelFilter{ProjectID: project, Name: "racer"})
	if err != nil || total != 1 || len(models) != 1 {
		t.Fatalf("%d models named racer, %v", total, err)
	}
}

// clientWriter is a writer process of TestWriterProcesses: goroutines that
// log auto-stepped points and take model versions through the client, and
// one race each for a unique user name and model name.
func clientWriter() {
	var plan writerPlan
	if err := json.Unmarshal([]byte(os.Getenv("DEARDIARY_WRITER_PLAN")), &plan); err != nil {
		panic(err)
	}
	ctx := context.Background()
	client, err := daemon.Connect(ctx, plan.URL, daemon.Options{})
	if err != nil {
		panic(err)
	}
	var (
		mu     sync.Mutex
		report writerReport
		wg     sync.WaitGroup
	)
	failed := func(err error) {
		mu.Lock()
		report.Errors = append(report.Errors, err.Error())
		mu.Unlock()
	}
	for range writerGoroutines {
		wg.Go(func() {
			for range pointsPerRoutine {
				if _, err := client.LogMetric(ctx, plan.Iteration, core.MetricInput{Key: "shared", Value: 1}); err != nil {
					failed(err)
				}
			}
			for range versionsPerRoutine {
				if _, err := client.CreateModelVersion(ctx, core.ModelVersionCreate{ModelID: plan.Model, IterationID: plan.Iteration}); err != nil {
					failed(err)
				}
			}
		})
	}
	wg.Go(func() {
		_, err := client.CreateUser(ctx, core.UserCreate{Username: "racer", Password: "pw"})
		report.WonUser, report.LostUser = err == nil, core.ErrorCode(err)
	})
	wg.Go(func() {
		_, err := client.CreateModel(ctx, core.ModelCreate{ProjectID: plan.Project, Name: "racer"})
		report.WonModel, report.LostModel = err == nil, core.ErrorCode(err)
	})
	wg.Wait()
	json.NewEncoder(os.Stdout).Encode(report)
}
