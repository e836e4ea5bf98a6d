package duckdb

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/deardiary/deardiary-go/core"
	"golang.org/x/crypto/bcrypt"
)

// TestDrainInFlight logs points from several writers until held points
// have gone into DuckDB on the drain connection more than once while
// groups went on being acknowledged: every acknowledged point is seen by
// the next read, automatic steps run 0..n-1 without a gap or a repeat,
// the summaries are exact, and a closed store leaves no journal behind.
// With broken, every drain on the drain connection fails, and the points
// reach DuckDB on the writer's instead, each once and in order.
func TestDrainInFlight(t *testing.T) {
	for _, broken := range []bool{false, true} {
		t.Run(fmt.Sprintf("broken=%v", broken), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "drain.db")
			s, _, it := fileStore(t, path)
			if broken {
				s.w.drainConn.Close()
			}
			const writers, batches, perBatch = 4, 32, 4_000 // 512,000 points: more than two drains' worth
			var acknowledged atomic.Int64
			var wg sync.WaitGroup
			errs := make(chan error, writers+1)
			for w := range writers {
				wg.Go(func() {
					for b := range batches {
						var batch core.MetricBatch
						for i := range perBatch {
							// Half go to one series with automatic steps, half
							// to a series of each writer with steps of its own.
							if i%2 == 0 {
								batch.Metrics = append(batch.Metrics, core.MetricInput{Key: "auto", Value: float64(i)})
							} else {
								step := int64(b*perBatch + i)
								batch.Metrics = append(batch.Metrics, core.MetricInput{Key: fmt.Sprintf("w%d", w), Value: float64(step), Step: &step})
							}
						}
						if _, err := s.LogMetrics(ctx, it, batch); err != nil {
							errs <- err
							return
						}
						acknowledged.Add(perBatch)
					}
				})
			}
			done := make(chan struct{})
			var reader sync.WaitGroup
			reader.Go(func() {
				for {
					select {
					case <-done:
						return
					default:
					}
					// Now and then: every read commits what is held first.
					time.Sleep(700 * time.Millisecond)
					before := acknowledged.Load()
					_, total, err := s.ListMetrics(ctx, core.MetricFilter{IterationID: it, Page: core.Page{Limit: 1}})
					if err != nil {
						errs <- err
						return
					}
					if int64(total) < before {
						errs <- fmt.Errorf("a read saw %d points after %d were acknowledged", total, before)
						return
					}
				}
			})
			wg.Wait()
			close(done)
			reader.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			if _, err := os.Stat(spareJournalPath(JournalPath(path))); err != nil {
				t.Errorf("the journal's second file: %v", err)
			}
			const total = writers * batches * perBatch
			if err := s.sync(ctx); err != nil { // the last points may be held still
				t.Fatal(err)
			}
			var n, distinct, autoSteps, autoMin, autoMax int64
			if err := s.db.QueryRow(`SELECT count(*), count(DISTINCT id),
				count(DISTINCT step) FILTER (WHERE key = 'auto'), min(step) FILTER (WHERE key = 'auto'), max(step) FILTER (WHERE key = 'auto')
				FROM metric`).Scan(&n, &distinct, &autoSteps, &autoMin, &autoMax); err != nil {
				t.Fatal(err)
			}
			if n != total || distinct != total || autoSteps != total/2 || autoMin != 0 || autoMax != total/2-1 {
				t.Fatalf("%d points (%d distinct), automatic steps %d distinct from %d to %d; want %d points, steps 0..%d",
					n, distinct, autoSteps, autoMin, autoMax, total, total/2-1)
			}
			// Each writer's points are in the order it logged them.
			for w := range writers {
				var outOfOrder int64
				if err := s.db.QueryRow(`SELECT count(*) FROM (SELECT step, lag(step) OVER (ORDER BY rowid) AS prev
					FROM metric WHERE key = ?) WHERE step <= prev`, fmt.Sprintf("w%d", w)).Scan(&outOfOrder); err != nil || outOfOrder != 0 {
					t.Fatalf("writer %d: %d points out of order, %v", w, outOfOrder, err)
				}
			}
			summaries, err := s.MetricSummaries(ctx, core.SummaryFilter{IterationIDs: []string{it}})
			if err != nil {
				t.Fatal(err)
			}
			if len(summaries) != writers+1 {
				t.Errorf("%d series summarised, want %d", len(summaries), writers+1)
			}
			for _, sum := range summaries {
				if want := int64(total / 2); sum.Key == "auto" && (sum.Count != want || sum.LastStep != want-1) {
					t.Errorf("the summary of auto: %+v, want %d points to step %d", sum, want, want-1)
				}
			}
			if current, err := summaryState(ctx, s.db); err != nil || !current {
				t.Errorf("summaries: current %v, %v", current, err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			for _, p := range []string{JournalPath(path), spareJournalPath(JournalPath(path))} {
				if _, err := os.Stat(p); !os.IsNotExist(err) {
					t.Errorf("a closed store left %s behind: %v", p, err)
				}
			}
		})
	}
}

// TestDrainsFillRowGroups logs batches of 1,000 points from four writers,
// more than two drains' worth, and reads DuckDB's row groups of metric:
// every drain is cut before the batch that would take it past two row
// groups, so every row group but the last holds all but at most a group of
// writes' rows. Drains that took whatever was held left a row group of 120
// rows after each full one. (The first row group has the points that
// committed on their own, the first of each iteration, whose write read it.)
func TestDrainsFillRowGroups(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := Open(filepath.Join(t.TempDir(), "groups.db"), WithBcryptCost(bcrypt.MinCost), withHoldFor(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	id := mustID(t)
	p := id(s.CreateProject(ctx, core.ProjectCreate{Name: "p"}))
	e := id(s.CreateExperiment(ctx, core.ExperimentCreate{ProjectID: p, Name: "e"}))
	const writers, batches, perBatch = 4, 150, 1_000 // 600,000 points
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for range writers {
		it := id(s.CreateIteration(ctx, core.IterationCreate{ExperimentID: e}))
		id(s.LogMetric(ctx, it, core.MetricInput{Key: "first", Value: 1}))
		wg.Go(func() {
			for b := range batches {
				step := int64(b)
				batch := core.MetricBatch{Step: &step, Metrics: make([]core.MetricInput, perBatch)}
				for i := range batch.Metrics {
					batch.Metrics[i] = core.MetricInput{Key: fmt.Sprintf("k%03d", i), Value: float64(i)}
				}
				if _, err := s.LogMetrics(ctx, it, batch); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	rows, err := s.QueryRaw(ctx, `SELECT row_group_id, sum(count) FROM pragma_storage_info('metric')
		WHERE column_name = 'value' AND segment_type = 'DOUBLE' GROUP BY ALL ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var sizes []int64
	for rows.Next() {
		var group, n int64
		if err := rows.Scan(&group, &n); err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, n)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	var total int64
	for i, n := range sizes {
		total += n
		// A group of writes holds at most one batch of each writer.
		if i > 0 && i < len(sizes)-1 && n < rowGroup-writers*perBatch {
			t.Errorf("row group %d of %d holds %d rows, want at least %d: %v", i, len(sizes), n, rowGroup-writers*perBatch, sizes)
		}
	}
	if total != writers*(batches*perBatch+1) {
		t.Fatalf("the row groups hold %d points, want %d", total, writers*(batches*perBatch+1))
	}
}
