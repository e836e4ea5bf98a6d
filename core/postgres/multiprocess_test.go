package postgres_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/core/postgres"
	"github.com/deardiary/deardiary-go/core/postgres/pgtest"
)

// Several writers on one database: goroutines sharing a Store (and its group
// commit), two Stores with pools of their own in this process, and a child
// process, all logging auto-stepped points to one series and registering
// versions of one model at once. Steps must come out exactly 0..n-1 and
// versions exactly 1..n: nothing in any one process can make that so.

// childEnv names the database a child process writes to, and what it writes.
const childEnv = "DEARDIARY_PGTEST_CHILD"

const (
	writersPerStore = 6
	pointsEach      = 40
	versionsEach    = 5
)

// writeConcurrently runs writersPerStore goroutines on tr, each logging
// pointsEach points (every fourth as a batch of two) and registering
// versionsEach versions.
func writeConcurrently(ctx context.Context, tr core.Tracker, iteration, model string) error {
	var wg sync.WaitGroup
	errs := make([]error, writersPerStore)
	for w := range writersPerStore {
		wg.Go(func() {
			for i := range pointsEach {
				var err error
				if i%4 == 0 {
					_, err = tr.LogMetrics(ctx, iteration, core.MetricBatch{Metrics: []core.MetricInput{{Key: "loss", Value: float64(w)}, {Key: "loss", Value: float64(w)}}})
				} else {
					_, err = tr.LogMetric(ctx, iteration, core.MetricInput{Key: "loss", Value: float64(w)})
				}
				if err == nil && i%(pointsEach/versionsEach) == 0 {
					_, err = tr.CreateModelVersion(ctx, core.ModelVersionCreate{ModelID: model, IterationID: iteration})
				}
				if err != nil {
					errs[w] = err
					return
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// pointsPerStore is what writeConcurrently logs.
const pointsPerStore = writersPerStore * (pointsEach + pointsEach/4)

func TestManyProcessesNumberTogether(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := pgtest.Schema(t)
	stores := make([]*postgres.Store, 2)
	for i := range stores {
		s, err := postgres.Open(ctx, url, postgres.WithBcryptCost(bcrypt.MinCost))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		stores[i] = s
	}
	a := stores[0]
	p, err := a.CreateProject(ctx, core.ProjectCreate{Name: "P"})
	must(t, err)
	e, err := a.CreateExperiment(ctx, core.ExperimentCreate{ProjectID: p, Name: "E"})
	must(t, err)
	it, err := a.CreateIteration(ctx, core.IterationCreate{ExperimentID: e})
	must(t, err)
	model, err := a.CreateModel(ctx, core.ModelCreate{ProjectID: p, Name: "m"})
	must(t, err)

	child := exec.Command(os.Args[0], "-test.run=^TestChildProcess$", "-test.count=1")
	child.Env = append(os.Environ(), childEnv+"="+strings.Join([]string{url, it, model}, " "))
	var childOut strings.Builder
	child.Stdout, child.Stderr = &childOut, &childOut
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, len(stores))
	for i, s := range stores {
		wg.Go(func() { errs[i] = writeConcurrently(ctx, s, it, model) })
	}
	wg.Wait()
	childErr := child.Wait()
	for _, err := range errs {
		must(t, err)
	}
	if childErr != nil || !strings.Contains(childOut.String(), "child wrote") {
		t.Fatalf("child process: %v\n%s", childErr, childOut.String())
	}

	processes := len(stores) + 1
	metrics, total, err := a.ListMetrics(ctx, core.MetricFilter{IterationID: it, Key: "loss"})
	must(t, err)
	if want := processes * pointsPerStore; total != want {
		t.Fatalf("points = %d, want %d", total, want)
	}
	for i, m := range metrics {
		if m.Step != int64(i) {
			t.Fatalf("point %d has step %d: steps repeat or skip", i, m.Step)
		}
	}
	sums, err := a.MetricSummaries(ctx, core.SummaryFilter{IterationIDs: []string{it}})
	must(t, err)
	if len(sums) != 1 || sums[0].Count != int64(total) || sums[0].LastStep != int64(total-1) || sums[0].FirstStep != 0 {
		t.Fatalf("summary = %+v, want %d points up to step %d", sums, total, total-1)
	}
	versions, n, err := a.ListModelVersions(ctx, core.ModelVersionFilter{ModelID: model})
	must(t, err)
	if want := processes * writersPerStore * versionsEach; n != want {
		t.Fatalf("versions = %d, want %d", n, want)
	}
	numbers := make([]int64, len(versions))
	for i, v := range versions {
		numbers[i] = v.Version
	}
	for i, v := range numbers {
		if v != int64(i+1) {
			t.Fatalf("versions %v are not 1..%d", numbers, n)
		}
	}
}

// TestChildProcess is the child of TestManyProcessesNumberTogether: a
// separate process with a Store of its own, writing to the parent's
// database. Run alone it does nothing.
func TestChildProcess(t *testing.T) {
	args := strings.Fields(os.Getenv(childEnv))
	if len(args) != 3 {
		t.Skip("only run by TestManyProcessesNumberTogether")
	}
	ctx := context.Background()
	s, err := postgres.Open(ctx, args[0], postgres.WithBcryptCost(bcrypt.MinCost))
	must(t, err)
	defer s.Close()
	must(t, writeConcurrently(ctx, s, args[1], args[2]))
	fmt.Println("child wrote", strconv.Itoa(pointsPerStore), "points")
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
