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
