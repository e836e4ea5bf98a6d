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
			const writers, batches, perBatch = 4, 20, 4_000 // 320,000 points: more than two drains' worth
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
