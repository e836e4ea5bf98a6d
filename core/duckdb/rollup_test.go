package duckdb

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/deardiary/deardiary-go/core"
)

// rollupCase logs two long series whose M4 column edges fall on block edges
// (at 10 points, a column is 640 steps: ten blocks), so the rollup must draw
// exactly what the scan of the points draws. Values are distinct, so neither
// path has ties to break its own way.
type rollupCase struct {
	s   *Store
	its []string
	ids map[int64]string // metric ids of the first series, by step
}

const chartPoints = 10

func newRollupCase(t *testing.T, s *Store) *rollupCase {
	t.Helper()
	ctx, id := context.Background(), mustID(t)
	p := id(s.CreateProject(ctx, core.ProjectCreate{Name: "p"}))
	e := id(s.CreateExperiment(ctx, core.ExperimentCreate{ProjectID: p, Name: "e"}))
	c := &rollupCase{s: s, ids: map[int64]string{}}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, first := range []int64{0, -3200} {
		it := id(s.CreateIteration(ctx, core.IterationCreate{ExperimentID: e}))
		c.its = append(c.its, it)
		var batch []core.MetricInput
		for _, step := range rng.Perm(6400) {
			batch = append(batch, core.MetricInput{Key: "loss", Value: rng.Float64(), Step: new(first + int64(step))})
		}
		// Batches of 500 cut blocks, so blocks have several partial rows.
		for start := 0; start < len(batch); start += 500 {
			ids, err := s.LogMetrics(ctx, it, core.MetricBatch{Metrics: batch[start:min(start+500, len(batch))]})
			if err != nil {
				t.Fatal(err)
			}
			if first == 0 {
				for i, mid := range ids {
					c.ids[*batch[start+i].Step] = mid
				}
			}
		}
	}
	return c
}

// check compares the chart the rollup draws with the one the scan draws.
func (c *rollupCase) check(t *testing.T) []core.Series {
	t.Helper()
	ctx := context.Background()
	q := core.HistoryQuery{Key: "loss", IterationIDs: c.its, MaxPoints: chartPoints}
	if !c.s.rollups {
		t.Fatal("the store does not use its rollups")
	}
	fromRollup, err := c.s.MetricHistory(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	c.s.rollups = false
	fromScan, err := c.s.MetricHistory(ctx, q)
	c.s.rollups = true
	if err != nil {
		t.Fatal(err)
	}
	if len(fromRollup) != len(c.its) {
		t.Fatalf("%d series, want %d", len(fromRollup), len(c.its))
	}
	for i := range fromRollup {
		if !slices.Equal(fromRollup[i].Points, fromScan[i].Points) {
			t.Errorf("series %d from the rollup\n%v\nfrom the points\n%v", i, fromRollup[i].Points, fromScan[i].Points)
		}
	}
	return fromRollup
}

func TestRollupDrawsWhatTheScanDraws(t *testing.T) {
	t.Parallel()
	for _, every := range []int64{compactAt, 7} {
		s := openTest(t, withCompactAt(every))
		c := newRollupCase(t, s)
		if !rollupServes(stepSpan{0, 6399, 6400}, chartPoints) {
			t.Fatal("the case does not reach the rollup")
		}
		c.check(t)
		if every == 7 && countRows(t, s, "metric_rollup") == 0 {
			t.Error("compaction left metric_rollup empty")
		}
	}
}

// TestRollupFollowsChanges changes, deletes and logs points of a rolled-up
// series, then deletes its iteration.
func TestRollupFollowsChanges(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openTest(t, withCompactAt(7))
	c := newRollupCase(t, s)
	if err := s.UpdateMetric(ctx, c.ids[1234], core.MetricUpdate{Value: new(5.0)}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteMetric(ctx, c.ids[4321]); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LogMetric(ctx, c.its[0], core.MetricInput{Key: "loss", Value: -5, Step: new(int64(2000))}); err != nil {
		t.Fatal(err)
	}
	points := c.check(t)[0].Points
	for _, want := range []core.Point{{Step: 1234, Value: 5}, {Step: 2000, Value: -5}} {
		if !slices.Contains(points, want) {
			t.Errorf("%+v missing from %v", want, points)
		}
	}
	if current, err := rollupCurrent(ctx, s.db); err != nil || !current {
		t.Errorf("rollup current = %v, %v", current, err)
	}
	if err := s.DeleteIteration(ctx, c.its[0]); err != nil {
		t.Fatal(err)
	}
	var left int
	if err := s.db.QueryRow(`SELECT count(*) FROM (SELECT iteration_id FROM metric_rollup UNION ALL SELECT iteration_id FROM metric_summary_delta)
		WHERE iteration_id = ?`, c.its[0]).Scan(&left); err != nil || left != 0 {
		t.Errorf("%d rollup rows of a deleted iteration left (%v)", left, err)
	}
}

// TestStaleRollupIsNotUsed edits a closed file behind the store's back: a
// read-only open then draws from the points, and a writable open rebuilds
// the rollup.
func TestStaleRollupIsNotUsed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "d.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	c := newRollupCase(t, s)
	want := c.check(t)
	s.Close()

	for _, edit := range []string{
		`DELETE FROM metric_rollup`, // as a store of before migration 008 would leave it
		`INSERT INTO metric SELECT uuid()::VARCHAR, iteration_id, key, 7, step + 100000, recorded_at FROM metric LIMIT 1`, // as DearDiary.jl would
		`UPDATE metric SET value = value * 100`, // the same points, so the rollup's counts still agree
	} {
		db, err := sql.Open("duckdb", path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(edit); err != nil {
			t.Fatal(err)
		}
		db.Close()

		ro, err := Open(path, ReadOnly())
		if err != nil {
			t.Fatal(err)
		}
		if ro.rollups {
			t.Errorf("after %q a read-only open uses the stale rollup", edit)
		}
		ro.Close()

		rw, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		if current, err := rollupCurrent(ctx, rw.db); err != nil || !current {
			t.Errorf("after %q the rollup was not rebuilt: %v", edit, err)
		}
		c.s = rw
		if got := c.check(t); edit == `DELETE FROM metric_rollup` && !slices.EqualFunc(got, want, func(a, b core.Series) bool { return slices.Equal(a.Points, b.Points) }) {
			t.Error("the rebuilt rollup draws another chart")
		}
		rw.Close()
	}
}

// TestSummaryTablesStayAlike: a version from before migration 008 reads
// metric_summary and metric_summary_delta with SELECT * and moves rows
// between them, so both must keep the same columns in the same order.
func TestSummaryTablesStayAlike(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	columns := func(table string) []string {
		rows, err := s.db.Query(`SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position`, table)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var c string
			if err := rows.Scan(&c); err != nil {
				t.Fatal(err)
			}
			out = append(out, c)
		}
		return out
	}
	if a, b := columns("metric_summary"), columns("metric_summary_delta"); !slices.Equal(a, b) {
		t.Errorf("metric_summary has %v\nmetric_summary_delta has %v", a, b)
	}
}

// TestRollupAgreesWithPoints makes random changes (batches with explicit,
// negative, repeated and assigned steps; points updated in value, step or
// key; points and iterations deleted; reopens under random compaction
// thresholds) and checks after each kind of change that the rollup, folded
// per block, says of every block what the points say. One seed by default,
// three in the long tests (DEARDIARY_TEST_LONG=1).
func TestRollupAgreesWithPoints(t *testing.T) {
	t.Parallel()
	ctx, id := context.Background(), mustID(t)
	seeds := uint64(1)
	if os.Getenv("DEARDIARY_TEST_LONG") != "" {
		seeds = 3
	}
	for seed := range seeds {
		rng := rand.New(rand.NewPCG(seed, 8))
		path := filepath.Join(t.TempDir(), "r.db")
		open := func() *Store {
			s, err := Open(path, withCompactAt(int64(1+rng.IntN(40))))
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		s := open()
		p := id(s.CreateProject(ctx, core.ProjectCreate{Name: "p"}))
		e := id(s.CreateExperiment(ctx, core.ExperimentCreate{ProjectID: p, Name: "e"}))
		its := []string{id(s.CreateIteration(ctx, core.IterationCreate{ExperimentID: e})), id(s.CreateIteration(ctx, core.IterationCreate{ExperimentID: e}))}
		var points []string
		keys := []string{"loss", "acc", "lr"}
		for op := range 100 {
			switch r := rng.IntN(20); {
			case r < 11:
				// A few batches in a row: the writer holds them together,
				// merging their summary changes (see journal.go).
				for range 1 + rng.IntN(3) {
					var batch []core.MetricInput
					for range 1 + rng.IntN(50) {
						m := core.MetricInput{Key: keys[rng.IntN(2)], Value: rng.NormFloat64()}
						if rng.IntN(4) > 0 {
							m.Step = new(int64(rng.IntN(500) - 150))
						}
						batch = append(batch, m)
					}
					ids, err := s.LogMetrics(ctx, its[rng.IntN(len(its))], core.MetricBatch{Metrics: batch})
					if err != nil {
						t.Fatal(err)
					}
					points = append(points, ids...)
				}
			case r < 15 && len(points) > 0:
				var upd core.MetricUpdate
				switch rng.IntN(3) {
				case 0:
					upd.Value = new(rng.NormFloat64())
				case 1:
					upd.Step = new(int64(rng.IntN(500) - 150))
				default:
					upd.Key = &keys[rng.IntN(3)]
				}
				_ = s.UpdateMetric(ctx, points[rng.IntN(len(points))], upd) // gone already is fine
			case r < 17 && len(points) > 0:
				_ = s.DeleteMetric(ctx, points[rng.IntN(len(points))])
			case r < 18:
				i := rng.IntN(len(its))
				if err := s.DeleteIteration(ctx, its[i]); err != nil {
					t.Fatal(err)
				}
				its[i] = id(s.CreateIteration(ctx, core.IterationCreate{ExperimentID: e}))
			default:
				s.Close()
				s = open()
			}
			if err := s.sync(ctx); err != nil {
				t.Fatal(err)
			}
			if current, err := summaryState(ctx, s.db); err != nil || !current {
				t.Fatalf("seed %d, change %d: summaries current = %v, %v", seed, op, current, err)
			}
			var disagree int
			if err := s.db.QueryRow(`WITH
				r AS (SELECT iteration_id, key, block, sum(count)::BIGINT, min(first_step), max(last_step), min(min_value), max(max_value)
					FROM (` + rollupRows + `) GROUP BY iteration_id, key, block),
				p AS (SELECT iteration_id, key, step >> ` + fmt.Sprint(rollupShift) + `, count(*), min(step), max(step), min(value), max(value)
					FROM metric GROUP BY ALL)
				SELECT (SELECT count(*) FROM (FROM r EXCEPT ALL FROM p)) + (SELECT count(*) FROM (FROM p EXCEPT ALL FROM r))`).Scan(&disagree); err != nil {
				t.Fatal(err)
			}
			if disagree > 0 {
				t.Fatalf("seed %d, change %d: %d blocks of the rollup disagree with the points", seed, op, disagree)
			}
			if current, err := rollupCurrent(ctx, s.db); err != nil || !current {
				t.Fatalf("seed %d, change %d: rollup current = %v, %v", seed, op, current, err)
			}
		}
		s.Close()
	}
}
