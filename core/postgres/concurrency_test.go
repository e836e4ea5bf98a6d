package postgres_test

import (
	"context"
	"io/fs"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/crypto/bcrypt"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/core/postgres"
	"github.com/deardiary/deardiary-go/core/postgres/pgtest"
)

// newRun makes a project, an experiment and an iteration.
func newRun(t testing.TB, s core.Tracker) (project, experiment, iteration string) {
	t.Helper()
	ctx := context.Background()
	project, err := s.CreateProject(ctx, core.ProjectCreate{Name: "P"})
	must(t, err)
	experiment, err = s.CreateExperiment(ctx, core.ExperimentCreate{ProjectID: project, Name: "E"})
	must(t, err)
	iteration, err = s.CreateIteration(ctx, core.IterationCreate{ExperimentID: experiment})
	must(t, err)
	return project, experiment, iteration
}

// TestSinglePointsShareCommits logs single points from many goroutines and
// counts the transactions that wrote them (a row's xmin): group commit must
// put many points in each. Every point is acknowledged only once committed,
// so another Store reads it at once.
func TestSinglePointsShareCommits(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := pgtest.Schema(t)
	s, err := postgres.Open(ctx, url, postgres.WithBcryptCost(bcrypt.MinCost))
	must(t, err)
	defer s.Close()
	reader, err := postgres.Open(ctx, url, postgres.ReadOnly())
	must(t, err)
	defer reader.Close()
	_, _, it := newRun(t, s)
	const writers, each = 64, 10
	var wg sync.WaitGroup
	var unseen atomic.Int64
	errs := make([]error, writers)
	for w := range writers {
		wg.Go(func() {
			for range each {
				id, err := s.LogMetric(ctx, it, core.MetricInput{Key: "loss", Value: float64(w)})
				if err != nil {
					errs[w] = err
					return
				}
				if _, err := reader.GetMetric(ctx, id); err != nil {
					unseen.Add(1)
				}
			}
		})
	}
	wg.Wait()
	conn, err := pgx.Connect(ctx, url)
	must(t, err)
	defer conn.Close(ctx)
	var transactions int
	must(t, conn.QueryRow(ctx, `SELECT count(DISTINCT xmin::TEXT) FROM metric`).Scan(&transactions))
	for _, err := range errs {
		must(t, err)
	}
	if n := unseen.Load(); n > 0 {
		t.Fatalf("%d acknowledged points were not in the database", n)
	}
	t.Logf("%d points in %d transactions", writers*each, transactions)
	if transactions > writers*each/4 {
		t.Fatalf("%d single points took %d transactions: they do not share commits", writers*each, transactions)
	}
}

// TestDeleteCascadesWhileOthersWrite deletes an experiment while two Stores
// keep logging points to its iteration, adding iterations and uploading
// resources to it. Whatever was acknowledged before the delete goes with
// it, whatever came after is refused, and nothing is left behind: no row
// and no artifact file.
func TestDeleteCascadesWhileOthersWrite(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := pgtest.Schema(t)
	root := t.TempDir()
	var stores []*postgres.Store
	for range 2 {
		s, err := postgres.Open(ctx, url, postgres.WithBcryptCost(bcrypt.MinCost), postgres.WithArtifacts(core.BackendFilesystem, root))
		must(t, err)
		defer s.Close()
		stores = append(stores, s)
	}
	a := stores[0]
	_, e, it := newRun(t, a)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		problems []string
		written  atomic.Int64
	)
	writer := func(write func() error) {
		wg.Go(func() {
			for {
				err := write()
				if err == nil {
					written.Add(1)
					continue
				}
				if core.ErrorCode(err) != core.EInvalid {
					mu.Lock()
					problems = append(problems, err.Error())
					mu.Unlock()
				}
				return
			}
		})
	}
	for _, s := range stores {
		writer(func() error {
			_, err := s.LogMetric(ctx, it, core.MetricInput{Key: "loss", Value: 1})
			return err
		})
		writer(func() error {
			batch := make([]core.MetricInput, 300)
			for i := range batch {
				batch[i] = core.MetricInput{Key: "acc", Value: float64(i)}
			}
			_, err := s.LogMetrics(ctx, it, core.MetricBatch{Metrics: batch})
			return err
		})
		writer(func() error {
			_, err := s.CreateResource(ctx, core.ResourceCreate{ExperimentID: e, Name: "ckpt"}, strings.NewReader("weights"))
			return err
		})
		writer(func() error {
			_, err := s.CreateIteration(ctx, core.IterationCreate{ExperimentID: e, ParentID: it})
			return err
		})
	}
	for written.Load() < 40 {
		time.Sleep(5 * time.Millisecond)
	}
	must(t, a.DeleteExperiment(ctx, e))
	wg.Wait()
	if len(problems) > 0 {
		t.Fatalf("writes after the delete failed otherwise than as refused: %v", problems)
	}
	conn, err := pgx.Connect(ctx, url)
	must(t, err)
	defer conn.Close(ctx)
	var left int
	must(t, conn.QueryRow(ctx, `SELECT (SELECT count(*) FROM metric) + (SELECT count(*) FROM metric_summary)
		+ (SELECT count(*) FROM iteration) + (SELECT count(*) FROM resource)`).Scan(&left))
	if left > 0 {
		t.Fatalf("%d rows outlived the experiment", left)
	}
	var files []string
	must(t, filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, path)
		}
		return err
	}))
	if len(files) > 0 {
		t.Fatalf("artifact files outlived the experiment: %v", files)
	}
}
