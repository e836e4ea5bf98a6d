package duckdb_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/core/duckdb"
)

// TestRawRows writes rows as they are, as ddd copy does, and checks that
// a failed transaction leaves none, that the next open summarises the
// points, and that an integer file's sequences then continue past the ids
// written.
func TestRawRows(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, integer := range []bool{false, true} {
		path := filepath.Join(t.TempDir(), "raw.db")
		opts := []duckdb.Option{duckdb.WithBcryptCost(bcrypt.MinCost)}
		if integer {
			opts = append(opts, duckdb.WithIntegerIDs())
		}
		s, err := duckdb.Open(path, opts...)
		if err != nil {
			t.Fatal(err)
		}
		id := func(n int64, uuid string) any {
			if integer {
				return n
			}
			return uuid
		}
		project, experiment, iteration := id(100, "0190a000-0000-7000-8000-000000000001"), id(200, "0190a000-0000-7000-8000-000000000002"), id(300, "0190a000-0000-7000-8000-000000000003")
		err = s.WriteRaw(ctx, func(tx *duckdb.RawTx) error {
			if err := tx.Append("project", []string{"id", "name", "description", "created_date"},
				[][]any{{project, "P", "", "2026-06-30T09:16:00"}}); err != nil {
				return err
			}
			return tx.Append("project", []string{"id", "name", "description", "created_date"},
				[][]any{{project, "again", "", "2026-06-30T09:16:00"}}) // the same id: refused
		})
		if err == nil {
			t.Fatal("a duplicate id was appended")
		}
		err = s.WriteRaw(ctx, func(tx *duckdb.RawTx) error {
			if err := tx.Append("project", []string{"id", "name", "description", "created_date"},
				[][]any{{project, "P", "", "2026-06-30T09:16:00"}}); err != nil {
				return err
			}
			if err := tx.Append("experiment", []string{"id", "project_id", "status_id", "name", "description", "created_date", "end_date"},
				[][]any{{experiment, project, int64(1), "E", "", "2026-06-30T09:17:00", ""}}); err != nil {
				return err
			}
			if _, err := tx.Exec(`INSERT INTO iteration (id, experiment_id, created_date, status_id) VALUES (?, ?, '2026-06-30T09:18:00', 1)`,
				iteration, experiment); err != nil {
				return err
			}
			var rows [][]any
			for step := range int64(10) {
				rows = append(rows, []any{id(1000+step, fmt.Sprintf("0190a000-0000-7000-8000-1000000000%02d", step)), iteration, "loss", float64(10 - step), step, "2026-06-30T09:19:00"})
			}
			return tx.Append("metric", []string{"id", "iteration_id", "key", "value", "step", "recorded_at"}, rows)
		})
		if err != nil {
			t.Fatal(err)
		}
		var projects int
		rows, err := s.QueryRaw(ctx, `SELECT count(*) FROM project`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			rows.Scan(&projects)
		}
		rows.Close()
		if projects != 1 {
			t.Errorf("%d projects, want 1: the failed transaction left rows", projects)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		s, err = duckdb.Open(path, opts...)
		if err != nil {
			t.Fatal(err)
		}
		its := fmt.Sprint(iteration)
		sums, err := s.MetricSummaries(ctx, core.SummaryFilter{IterationIDs: []string{its}})
		if err != nil || len(sums) != 1 || sums[0].Count != 10 || sums[0].Last != 1 || sums[0].Min != 1 || sums[0].Max != 10 {
			t.Errorf("integer=%v: summaries %+v, %v; want the ten points summarised at open", integer, sums, err)
		}
		next, err := s.CreateProject(ctx, core.ProjectCreate{Name: "next"})
		if err != nil {
			t.Fatal(err)
		}
		if integer && next != "101" {
			t.Errorf("the next project has id %s, want 101, past the one written raw", next)
		}
		if _, err := s.LogMetric(ctx, its, core.MetricInput{Key: "loss", Value: 0}); err != nil {
			t.Fatal(err)
		}
		s.Close()
	}
}

// TestRawPoints appends points as they are, in batches, as ddd copy does
// into a file: the summaries and the rollup stay current without a
// rebuild, ties going to the later point, and charts read the rollup.
func TestRawPoints(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "points.db")
	s, err := duckdb.Open(path, duckdb.WithBcryptCost(bcrypt.MinCost))
	if err != nil {
		t.Fatal(err)
	}
	p, _ := s.CreateProject(ctx, core.ProjectCreate{Name: "P"})
	e, _ := s.CreateExperiment(ctx, core.ExperimentCreate{ProjectID: p, Name: "E"})
	it, err := s.CreateIteration(ctx, core.IterationCreate{ExperimentID: e})
	if err != nil {
		t.Fatal(err)
	}
	const n = 10_000
	for batch := range 4 {
		var rows [][]any
		for i := batch * n / 4; i < (batch+1)*n/4; i++ {
			rows = append(rows, []any{fmt.Sprintf("0190a000-0000-7000-8000-%012d", i), it, "loss", float64(i % 97), int64(i), "2026-06-30T09:19:00.000"})
		}
		if batch == 3 {
			// Two more at the last step and time: the later is last.
			rows = append(rows, []any{"0190a000-0000-7000-8000-100000000001", it, "loss", 5.0, int64(n - 1), "2026-06-30T09:19:00.000"},
				[]any{"0190a000-0000-7000-8000-100000000002", it, "loss", 6.0, int64(n - 1), "2026-06-30T09:19:00.000"})
		}
		err := s.WriteRaw(ctx, func(tx *duckdb.RawTx) error {
			tx.Checkpoint()
			return tx.AppendPoints(rows)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	sums, err := s.MetricSummaries(ctx, core.SummaryFilter{IterationIDs: []string{it}})
	want := core.MetricSummary{IterationID: it, Key: "loss", Last: 6, FirstStep: 0, LastStep: n - 1, Min: 0, Max: 96, Count: n + 2}
	if err != nil || len(sums) != 1 || sums[0] != want {
		t.Errorf("summaries %+v, %v; want %+v", sums, err, want)
	}
	h, err := s.MetricHistory(ctx, core.HistoryQuery{Key: "loss", IterationIDs: []string{it}, MaxPoints: 50})
	if err != nil || len(h) != 1 || len(h[0].Points) == 0 || h[0].Points[len(h[0].Points)-1].Step != n-1 {
		t.Errorf("history %v, %v", h, err)
	}
	if err := s.WriteRaw(ctx, func(tx *duckdb.RawTx) error {
		return tx.AppendPoints([][]any{{"x", it, "loss", "not a number", int64(0), ""}})
	}); err == nil {
		t.Error("a point with a text value was appended")
	}
	// The summary tables and the rollup account for every point: nothing
	// is left for an open to rebuild.
	rows, err := s.QueryRaw(ctx, `SELECT (SELECT sum(count) FROM (SELECT count FROM metric_summary UNION ALL SELECT count FROM metric_summary_delta)),
		(SELECT sum(count) FROM (SELECT count FROM metric_rollup UNION ALL SELECT count FROM metric_summary_delta WHERE block IS NOT NULL))`)
	if err != nil {
		t.Fatal(err)
	}
	var summarised, rolled int64
	for rows.Next() {
		if err := rows.Scan(&summarised, &rolled); err != nil {
			t.Fatal(err)
		}
	}
	rows.Close()
	if summarised != n+2 || rolled != n+2 {
		t.Errorf("the summaries count %d points and the rollup %d, want %d", summarised, rolled, n+2)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}
