package main

import (
	"context"
	"io"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/core/duckdb"
	"github.com/deardiary/deardiary-go/daemon"
)

// TestShutdownKeepsAcknowledgedWrites closes the daemon while 16 clients log
// points: every point acknowledged with a 201 is in the database afterwards.
func TestShutdownKeepsAcknowledgedWrites(t *testing.T) {
	t.Parallel()
	m := NewMain(io.Discard)
	m.Config.Port = 0
	m.Config.DBFile = filepath.Join(t.TempDir(), "deardiary.db")
	m.BcryptCost = bcrypt.MinCost
	ctx := context.Background()
	if err := m.Run(ctx); err != nil {
		t.Fatal(err)
	}
	c, err := daemon.Connect(ctx, m.URL, daemon.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := c.CreateProject(ctx, core.ProjectCreate{Name: "p"})
	e, _ := c.CreateExperiment(ctx, core.ExperimentCreate{ProjectID: p, Name: "e"})
	it, err := c.CreateIteration(ctx, core.IterationCreate{ExperimentID: e})
	if err != nil {
		t.Fatal(err)
	}
	var acked atomic.Int64
	var wg sync.WaitGroup
	started := make(chan struct{})
	var once sync.Once
	for range 16 {
		wg.Go(func() {
			for {
				_, err := c.LogMetric(ctx, it, core.MetricInput{Key: "loss", Value: 1})
				if err != nil {
					return // the daemon has gone away
				}
				if acked.Add(1) == 200 {
					once.Do(func() { close(started) })
				}
			}
		})
	}
	<-started
	if err := m.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	wg.Wait()
	s, err := duckdb.Open(m.Config.DBFile, duckdb.ReadOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, stored, err := s.ListMetrics(ctx, core.MetricFilter{IterationID: it, Page: core.Page{Limit: 1}})
	if err != nil {
		t.Fatal(err)
	}
	// A write can commit just as its client gives up, so there may be more
	// points than acknowledgements, never fewer.
	if int64(stored) < acked.Load() {
		t.Fatalf("%d points stored, %d acknowledged", stored, acked.Load())
	}
	t.Logf("%d acknowledged, %d stored", acked.Load(), stored)
}

// panicky is a tracker whose GetProject panics.
