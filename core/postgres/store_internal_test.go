package postgres

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"golang.org/x/crypto/bcrypt"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/core/postgres/pgtest"
)

func openInternal(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), pgtest.Schema(t), WithBcryptCost(bcrypt.MinCost))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// newRun makes a project, an experiment and an iteration.
func newRun(t *testing.T, s *Store) (experiment, iteration string) {
	t.Helper()
	ctx := context.Background()
	p, err := s.CreateProject(ctx, core.ProjectCreate{Name: "P"})
	if err == nil {
		experiment, err = s.CreateExperiment(ctx, core.ExperimentCreate{ProjectID: p, Name: "E"})
	}
	if err == nil {
		iteration, err = s.CreateIteration(ctx, core.IterationCreate{ExperimentID: experiment})
	}
	if err != nil {
		t.Fatal(err)
	}
	return experiment, iteration
}

func TestFoldGivesTheStoresCodes(t *testing.T) {
	t.Parallel()
	for code, want := range map[string]string{
		diskFull:            core.EStorage,
		uniqueViolation:     core.EConflict,
		foreignKeyViolation: core.EInvalid,
		checkViolation:      core.EInvalid,
		badEncoding:         core.EInvalid,
		readOnlyTransaction: core.EInvalid,
		"XX000":             core.EInternal,
	} {
		err := fold(fmt.Errorf("wrapped: %w", &pgconn.PgError{Code: code, Message: "m"}))
		if got := core.ErrorCode(err); got != want {
			t.Errorf("SQLSTATE %s: code %s, want %s", code, got, want)
		}
		var pe *pgconn.PgError
		if !errors.As(err, &pe) {
			t.Errorf("SQLSTATE %s: the driver's error is lost", code)
		}
	}
}

// m4 is what bucketExtremes must find, computed from every point: per step
// range, the first and last point and the first point to reach the lowest
// and highest value.
func m4(points []core.Point, span stepSpan, maxPoints int) []core.Point {
	width := span.width(maxPoints)
	type bucket struct{ first, last, lo, hi core.Point }
	var order []uint64
	buckets := map[uint64]*bucket{}
	for _, p := range points { // ordered by step
		b := (uint64(p.Step) - uint64(span.lo)) / uint64(width)
		if k := buckets[b]; k == nil {
			buckets[b] = &bucket{p, p, p, p}
			order = append(order, b)
		} else {
			k.last = p
			if p.Value < k.lo.Value {
				k.lo = p
			}
			if p.Value > k.hi.Value {
				k.hi = p
			}
		}
	}
	var out []core.Point
	for _, b := range order {
		k := buckets[b]
		for _, p := range []core.Point{k.first, k.lo, k.hi, k.last} {
			if !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	slices.SortFunc(out, func(a, b core.Point) int {
		if a.Step != b.Step {
			return compareInt(a.Step, b.Step)
		}
		return compareFloat(a.Value, b.Value)
	})
	return out
}

func compareInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func compareFloat(a, b float64) int {
	return compareInt(int64(math.Float64bits(a)), int64(math.Float64bits(b)))
}

// TestBucketExtremesAreM4 compares the database's reduction with the one
// computed from every point, on a dense series with repeated values, a
// sparse one, and one whose steps span more than an int64 holds.
func TestBucketExtremesAreM4(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openInternal(t)
	experiment, _ := newRun(t, s)
	rng := rand.New(rand.NewPCG(7, 8))
	const maxPoints = 50
	cases := map[string]func(i int) int64{
		"dense":  func(i int) int64 { return int64(i) },
		"sparse": func(i int) int64 { return int64(i) * 1000 },
		"huge":   func(i int) int64 { return math.MinInt64 + int64(uint64(i)*(math.MaxUint64/2999)) },
	}
	for name, step := range cases {
		it, err := s.CreateIteration(ctx, core.IterationCreate{ExperimentID: experiment})
		if err != nil {
			t.Fatal(err)
		}
		var points []core.Point
		in := make([]core.MetricInput, 3000)
		for i := range in {
			v := float64(rng.IntN(20)) // repeats, so ties for the extremes
			in[i] = core.MetricInput{Key: "loss", Value: v, Step: new(step(i))}
			points = append(points, core.Point{Step: step(i), Value: v})
		}
		if _, err := s.LogMetrics(ctx, it, core.MetricBatch{Metrics: in}); err != nil {
			t.Fatal(err)
		}
		long, err := s.longSeries(ctx, "loss", []string{it}, maxPoints)
		if err != nil || len(long) != 1 {
			t.Fatalf("%s: long series %v, %v", name, long, err)
		}
		got := map[string][]core.Point{}
		if err := s.bucketExtremes(ctx, "loss", long, maxPoints, got); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want := m4(points, long[it], maxPoints)
		if !slices.Equal(got[it], want) {
			t.Fatalf("%s: %d points from the database, %d from Go\n got %v\nwant %v", name, len(got[it]), len(want), got[it], want)
		}
		series, err := s.MetricHistory(ctx, core.HistoryQuery{Key: "loss", IterationIDs: []string{it}, MaxPoints: maxPoints})
		if err != nil || len(series) != 1 || len(series[0].Points) != maxPoints {
			t.Fatalf("%s: history %v, %v", name, series, err)
		}
		if first, last := series[0].Points[0], series[0].Points[maxPoints-1]; first.Step != step(0) || last.Step != step(len(in)-1) {
			t.Fatalf("%s: history runs from step %d to %d", name, first.Step, last.Step)
		}
	}
}

// TestSummariesMatchThePoints checks metric_summary against the points
// after a random mix of writes, updates and deletes.
func TestSummariesMatchThePoints(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openInternal(t)
	experiment, it := newRun(t, s)
	other, err := s.CreateIteration(ctx, core.IterationCreate{ExperimentID: experiment})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	keys := []string{"a", "b", "c"}
	var ids []string
	for range 300 {
		iteration := []string{it, other}[rng.IntN(2)]
		switch op := rng.IntN(10); {
		case op < 5:
			m := core.MetricInput{Key: keys[rng.IntN(3)], Value: rng.NormFloat64()}
			if rng.IntN(3) == 0 {
				m.Step = new(int64(rng.IntN(50)))
			}
			id, err := s.LogMetric(ctx, iteration, m)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		case op < 7:
			batch := make([]core.MetricInput, 1+rng.IntN(300))
			for i := range batch {
				batch[i] = core.MetricInput{Key: keys[rng.IntN(3)], Value: rng.NormFloat64()}
			}
			got, err := s.LogMetrics(ctx, iteration, core.MetricBatch{Metrics: batch})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, got...)
		case op < 9 && len(ids) > 0:
			upd := core.MetricUpdate{Value: new(rng.NormFloat64())}
			if rng.IntN(2) == 0 {
				upd.Key = new(keys[rng.IntN(3)])
			}
			if rng.IntN(2) == 0 {
				upd.Step = new(int64(rng.IntN(100)))
			}
			if err := s.UpdateMetric(ctx, ids[rng.IntN(len(ids))], upd); err != nil && !core.IsNotFound(err) {
				t.Fatal(err)
			}
		case len(ids) > 0:
			i := rng.IntN(len(ids))
			if err := s.DeleteMetric(ctx, ids[i]); err != nil && !core.IsNotFound(err) {
				t.Fatal(err)
			}
			ids = slices.Delete(ids, i, i+1)
		}
	}
	var mismatches int
	err = s.pool.QueryRow(ctx, `WITH p AS (
			SELECT iteration_id, key, count(*) AS count, min(value) AS lo, max(value) AS hi, min(step) AS first, max(step) AS last,
				(array_agg(value ORDER BY step DESC, recorded_at DESC, id DESC))[1] AS last_value
			FROM metric GROUP BY iteration_id, key)
		SELECT count(*) FROM p FULL JOIN metric_summary s USING (iteration_id, key)
		WHERE (p.count, p.lo, p.hi, p.first, p.last, p.last_value) IS DISTINCT FROM
			(s.count, s.min_value, s.max_value, s.first_step, s.last_step, s.last_value)`).Scan(&mismatches)
	if err != nil {
		t.Fatal(err)
	}
	if mismatches > 0 {
		t.Fatalf("%d series' summaries differ from their points", mismatches)
	}
}

// TestOrderIsBytewise checks that keys sort by their bytes, as in DuckDB,
// in a database whose own collation sorts them otherwise (pgtest's shared
// database is en-US where the server has ICU).
func TestOrderIsBytewise(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openInternal(t)
	_, it := newRun(t, s)
	keys := []string{"a", "B", "_x", "b-2", "b1"}
	for _, k := range keys {
		if _, err := s.LogMetric(ctx, it, core.MetricInput{Key: k, Value: 1}); err != nil {
			t.Fatal(err)
		}
	}
	sums, err := s.MetricSummaries(ctx, core.SummaryFilter{IterationIDs: []string{it}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range sums {
		got = append(got, m.Key)
	}
	slices.Sort(keys)
	if !slices.Equal(got, keys) {
		var collation string
		_ = s.pool.QueryRow(ctx, `SELECT datcollate || ' ' || COALESCE(daticulocale, '') FROM pg_database WHERE datname = current_database()`).Scan(&collation)
		t.Fatalf("keys in order %v, want %v (database collation %s)", got, keys, collation)
	}
}

// TestTryFloat8 checks the cast a numeric parameter filter compares with:
// numbers as DuckDB's TRY_CAST reads them, NULL for anything else.
func TestTryFloat8(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openInternal(t)
	for in, want := range map[string]*float64{
		"0.01": new(0.01), "1.0e-5": new(1e-5), "-4": new(-4.0), " 32 ": new(32.0), ".5": new(0.5), "3.": new(3.0),
		"adam": nil, "": nil, "1e400": nil, "1.2.3": nil, "0x10": nil, "true": nil,
	} {
		var got *float64
		if err := s.pool.QueryRow(ctx, `SELECT deardiary_try_float8($1)`, in).Scan(&got); err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		if (got == nil) != (want == nil) || (got != nil && *got != *want) {
			t.Errorf("deardiary_try_float8(%q) = %v, want %v", in, got, want)
		}
	}
}

// TestRefusedSetLeavesNoSeries logs a batch that starts a new series and
// then overflows another: nothing of it stays, not even an empty summary.
func TestRefusedSetLeavesNoSeries(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openInternal(t)
	_, it := newRun(t, s)
	if _, err := s.LogMetric(ctx, it, core.MetricInput{Key: "full", Value: 1, Step: new(int64(math.MaxInt64))}); err != nil {
		t.Fatal(err)
	}
	_, err := s.LogMetrics(ctx, it, core.MetricBatch{Metrics: []core.MetricInput{{Key: "new", Value: 1}, {Key: "full", Value: 2}}})
	if core.ErrorCode(err) != core.EInvalid {
		t.Fatalf("overflowing batch: %v", err)
	}
	var rows int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM metric_summary WHERE iteration_id = $1`, it).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != 1 {
		t.Fatalf("%d summary rows, want only the full series'", rows)
	}
}

// TestStreamHistory streams two series, in the order asked and each in
// step order, and stops when the callback says so.
func TestStreamHistory(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openInternal(t)
	experiment, a := newRun(t, s)
	b, err := s.CreateIteration(ctx, core.IterationCreate{ExperimentID: experiment})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range []string{a, b} {
		batch := make([]core.MetricInput, 1000)
		for i := range batch {
			batch[i] = core.MetricInput{Key: "loss", Value: float64(i), Step: new(int64(999 - i))}
		}
		if _, err := s.LogMetrics(ctx, it, core.MetricBatch{Metrics: batch}); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	last := map[string]int64{a: -1, b: -1}
	err = s.StreamHistory(ctx, core.HistoryQuery{Key: "loss", IterationIDs: []string{b, "missing", a}}, func(id string, p core.Point) error {
		if len(got) == 0 || got[len(got)-1] != id {
			got = append(got, id)
		}
		if p.Step != last[id]+1 {
			return fmt.Errorf("step %d after %d", p.Step, last[id])
		}
		last[id] = p.Step
		return nil
	})
	if err != nil || !slices.Equal(got, []string{b, a}) || last[a] != 999 {
		t.Fatalf("streamed %v up to %v: %v", got, last, err)
	}
	stop := errors.New("stop")
	if err := s.StreamHistory(ctx, core.HistoryQuery{Key: "loss", IterationIDs: []string{a}}, func(string, core.Point) error { return stop }); err != stop {
		t.Fatalf("a callback's error: %v", err)
	}
}
