package duckdb

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/deardiary/deardiary-go/core"
)

func openTest(t *testing.T, opts ...Option) *Store {
	t.Helper()
	s, err := Open(":memory:", append([]Option{WithBcryptCost(bcrypt.MinCost)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// runAlone runs a group on a writer of its own, beside the store's idle one,
// so the test controls exactly which writes share a transaction.
func runAlone(t *testing.T, s *Store, group []*writeOp) {
	t.Helper()
	w, err := newWriter(context.Background(), s.db, compactAt, s.ids)
	if err != nil {
		t.Fatal(err)
	}
	defer w.conn.Close()
	defer func() {
		for _, a := range w.apps {
			a.Close()
		}
	}()
	w.runGroup(group)
}

func withCompactAt(n int64) Option { return func(c *config) { c.compactAt = n } }

// withHoldFor holds points, and their summary changes, for up to d, so that
// a test logging slowly (under the race detector, say) decides when they are
// drained: a drain of summary changes takes the held points with it.
func withHoldFor(d time.Duration) Option {
	return func(c *config) { c.holdFor, c.holdDeltasFor = d, d }
}

// mustID returns a function that passes an id through, failing t on error.
func mustID(t *testing.T) func(string, error) string {
	return func(id string, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
}

func countRows(t *testing.T, s *Store, table string) int {
	t.Helper()
	var n int
	if err := s.db.QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestCompactionKeepsSummaries logs into many series with a tiny compaction
// threshold, so summaries are read before, across and after compactions.
func TestCompactionKeepsSummaries(t *testing.T) {
	t.Parallel()
	ctx, id := context.Background(), mustID(t)
	s := openTest(t, withCompactAt(5))
	p := id(s.CreateProject(ctx, core.ProjectCreate{Name: "p"}))
	e := id(s.CreateExperiment(ctx, core.ExperimentCreate{ProjectID: p, Name: "e"}))
	its := []string{id(s.CreateIteration(ctx, core.IterationCreate{ExperimentID: e})),
		id(s.CreateIteration(ctx, core.IterationCreate{ExperimentID: e}))}
	for step := range 30 {
		for i, it := range its {
			for _, key := range []string{"loss", "acc", "lr"} {
				v := float64(step*(i+1)) + float64(len(key))
				if _, err := s.LogMetric(ctx, it, core.MetricInput{Key: key, Value: v}); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	if n := countRows(t, s, "metric_summary_delta"); n >= 5+6 {
		t.Fatalf("%d delta rows: compaction did not run", n)
	}
	sums, err := s.MetricSummaries(ctx, core.SummaryFilter{ExperimentID: e})
	if err != nil || len(sums) != 6 {
		t.Fatalf("summaries = %v, %v", sums, err)
	}
	for _, m := range sums {
		i := 1
		if m.IterationID == its[1] {
			i = 2
		}
		last := float64(29*i) + float64(len(m.Key))
		want := core.MetricSummary{IterationID: m.IterationID, Key: m.Key, Last: last, LastStep: 29, Min: float64(len(m.Key)), Max: last, Count: 30}
		if m != want {
			t.Errorf("summary = %+v, want %+v", m, want)
		}
	}
	if current, err := summaryState(ctx, s.db); err != nil || !current {
		t.Fatalf("summaries disagree with the points: %v", err)
	}
}

// TestLaterWritesWinTies logs points with the same step and time in
// separate writes, with and without a compaction between them, committed
// one by one (in memory) or held together (in a file, see journal.go).
func TestLaterWritesWinTies(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		every int64
		path  string
	}{{1, ":memory:"}, {1 << 40, ":memory:"}, {1 << 40, "ties.db"}} {
		every, ctx, id := c.every, context.Background(), mustID(t)
		path := c.path
		if path != ":memory:" {
			path = filepath.Join(t.TempDir(), path)
		}
		s, err := Open(path, WithBcryptCost(bcrypt.MinCost), withCompactAt(every))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		p := id(s.CreateProject(ctx, core.ProjectCreate{Name: "p"}))
		e := id(s.CreateExperiment(ctx, core.ExperimentCreate{ProjectID: p, Name: "e"}))
		it := id(s.CreateIteration(ctx, core.IterationCreate{ExperimentID: e}))
		at := core.TruncateTime(s.now())
		for _, v := range []float64{7, 8, 6} {
			if _, err := s.LogMetric(ctx, it, core.MetricInput{Key: "tie", Value: v, Step: new(int64(1)), RecordedAt: &at}); err != nil {
				t.Fatal(err)
			}
		}
		sums, err := s.MetricSummaries(ctx, core.SummaryFilter{IterationIDs: []string{it}})
		if err != nil || len(sums) != 1 || sums[0].Last != 6 {
			t.Fatalf("%s, compacting every %d rows: summaries %+v, %v; want the last write (6)", c.path, every, sums, err)
		}
	}
}

// TestFailedWriteLeavesItsGroupIntact runs a group in which one write fails
// half-way: the others commit as if alone, the failed one leaves nothing.
func TestFailedWriteLeavesItsGroupIntact(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openTest(t)
	insert := func(name string) func(*tx) error {
		return func(t *tx) error {
			_, err := t.ExecContext(t.ctx, `INSERT INTO project (id, name, created_date) VALUES (?, ?, 'now')`, newKey(), name)
			return err
		}
	}
	boom := errors.New("boom")
	group := []*writeOp{
		{ctx: ctx, fn: insert("a"), done: make(chan error, 1)},
		{ctx: ctx, fn: func(t *tx) error {
			if err := insert("half")(t); err != nil {
				return err
			}
			_, err := t.ExecContext(t.ctx, `SELECT * FROM no_such_table`)
			return err
		}, done: make(chan error, 1)},
		{ctx: ctx, fn: func(t *tx) error {
			if err := insert("other half")(t); err != nil {
				return err
			}
			return boom
		}, done: make(chan error, 1)},
		{ctx: ctx, fn: insert("b"), done: make(chan error, 1)},
	}
	runAlone(t, s, group)
	wants := []error{nil, errors.New("any"), boom, nil}
	for i, op := range group {
		err := <-op.done
		if (err == nil) != (wants[i] == nil) || (wants[i] == boom && !errors.Is(err, boom)) {
			t.Errorf("op %d: error %v, want %v", i, err, wants[i])
		}
	}
	rows, err := s.db.Query(`SELECT name FROM project ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		names = append(names, n)
	}
	if len(names) != 2 || names[0] != "a" || names[1] != "b" {
		t.Fatalf("projects = %v, want [a b]", names)
	}
}

// TestBadBufferedRowsBlameTheirWrite buffers a point the Appender refuses
// (an empty time, which LogMetrics never produces) in a group of good writes:
// only the write that buffered it fails.
func TestBadBufferedRowsBlameTheirWrite(t *testing.T) {
	t.Parallel()
	ctx, id := context.Background(), mustID(t)
	s := openTest(t)
	p := id(s.CreateProject(ctx, core.ProjectCreate{Name: "p"}))
	e := id(s.CreateExperiment(ctx, core.ExperimentCreate{ProjectID: p, Name: "e"}))
	it := id(s.CreateIteration(ctx, core.IterationCreate{ExperimentID: e}))
	row := func(key, at string) func(*tx) error {
		return func(t *tx) error {
			t.appendMetric(metricRow{id: newKey(), iterationID: it, key: key, value: 1, recordedAt: at})
			return nil
		}
	}
	group := []*writeOp{
		{ctx: ctx, fn: row("good-1", "2026-01-01T00:00:00.000"), done: make(chan error, 1)},
		{ctx: ctx, fn: row("bad", ""), done: make(chan error, 1)},
		{ctx: ctx, fn: row("good-2", "2026-01-01T00:00:00.000"), done: make(chan error, 1)},
		{ctx: ctx, fn: func(t *tx) error {
			_, err := t.ExecContext(t.ctx, `INSERT INTO project (id, name, created_date) VALUES (?, 'q', 'now')`, newKey())
			return err
		}, done: make(chan error, 1)},
	}
	runAlone(t, s, group)
	for i, op := range group {
		if err := <-op.done; (err != nil) != (i == 1) {
			t.Errorf("op %d: error %v", i, err)
		}
	}
	if n := countRows(t, s, "metric"); n != 2 {
		t.Fatalf("%d points stored, want the two good ones", n)
	}
}
