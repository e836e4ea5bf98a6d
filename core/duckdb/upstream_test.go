package duckdb_test

import (
	"context"
	"database/sql"
	"io"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/core/duckdb"
	"github.com/deardiary/deardiary-go/core/duckdb/upstreamtest"
)

func TestOpensUpstreamFile(t *testing.T) {
	t.Parallel()
	for _, version := range upstreamtest.Versions {
		t.Run(version, func(t *testing.T) {
			t.Parallel()
			opensUpstreamFile(t, version)
		})
	}
}

func opensUpstreamFile(t *testing.T, version string) {
	path, ids := upstreamtest.File(t, version)
	ctx := context.Background()

	// Read-only first: nothing is migrated, summaries come from the points.
	ro, err := duckdb.Open(path, duckdb.ReadOnly())
	if err != nil {
		t.Fatal(err)
	}
	sums, err := ro.MetricSummaries(ctx, core.SummaryFilter{IterationIDs: []string{ids["child"]}})
	if err != nil || len(sums) != 1 || sums[0].Last != 0.25 || sums[0].Count != 3 {
		t.Fatalf("read-only summaries = %+v, %v", sums, err)
	}
	found, _, err := ro.SearchIterations(ctx, core.IterationSearch{ExperimentIDs: []string{ids["experiment"]}, Filter: "metrics.loss < 0.3"})
	if err != nil || len(found) != 1 || found[0].ID != ids["child"] {
		t.Fatalf("read-only search = %v, %v", found, err)
	}
	if _, err := ro.CreateProject(ctx, core.ProjectCreate{Name: "x"}); core.ErrorCode(err) != core.EInvalid {
		t.Fatalf("a write to a read-only store: %v", err)
	}
	ro.Close()

	s, err := duckdb.Open(path, duckdb.WithBcryptCost(bcrypt.MinCost))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Authenticate(ctx, "default", "default"); err != nil {
		t.Fatalf("upstream's default user: %v", err)
	}
	projects, err := s.ListProjects(ctx, core.ProjectFilter{})
	if err != nil || len(projects) != 1 || projects[0].Name != "Iris" {
		t.Fatalf("projects = %v, %v", projects, err)
	}
	its, total, err := s.ListIterations(ctx, core.IterationFilter{ExperimentID: ids["experiment"]})
	if err != nil || total != 3 {
		t.Fatalf("iterations = %v (%d), %v", its, total, err)
	}
	driver, child, done := its[0], its[1], its[2]
	if driver.ID != ids["driver"] || child.ParentID != ids["driver"] {
		t.Fatalf("tree: driver %+v child %+v", driver, child)
	}
	if want := time.Date(2026, 6, 30, 9, 18, 1, 500_000_000, time.UTC); !child.CreatedDate.Equal(want) {
		t.Errorf("naive timestamp read as %v, want %v", child.CreatedDate, want)
	}
	env := driver.Environment
	if env.JuliaVersion != "1.11.5" || !env.GitDirty || env.Entrypoint != "train.jl" || env.ManifestTOML != "# manifest" {
		t.Errorf("environment = %+v", env)
	}
	if done.Status != core.IterationFailed || !done.Ended() || done.ErrorMessage != "OutOfMemoryError()" {
		t.Errorf("ended iteration = %+v", done)
	}
	params, _, err := s.ListParameters(ctx, core.ParameterFilter{IterationID: ids["child"]})
	if err != nil || len(params) != 1 || params[0].Value != "0.01" {
		t.Fatalf("parameters = %v, %v", params, err)
	}
	sums, err = s.MetricSummaries(ctx, core.SummaryFilter{ExperimentID: ids["experiment"]})
	if err != nil || len(sums) != 1 || sums[0].Last != 0.25 || sums[0].Min != 0.25 || sums[0].Count != 3 {
		t.Fatalf("summaries = %+v, %v", sums, err)
	}
	r, err := s.OpenResource(ctx, ids["resource"])
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(r)
	r.Close()
	if string(data) != "hello" {
		t.Fatalf("resource bytes = %q", data)
	}
	tags, err := s.ListTags(ctx, core.KindIteration, ids["child"])
	if err != nil || len(tags) != 1 || tags[0].Value != "baseline" {
		t.Fatalf("tags = %v, %v", tags, err)
	}
	v, err := s.GetModelVersion(ctx, ids["version"])
	if err != nil || v.Stage != core.StageProduction || v.ResourceID != ids["resource"] {
		t.Fatalf("version = %+v, %v", v, err)
	}

	// Writes: the series continues, new rows sit beside upstream's.
	id, err := s.LogMetric(ctx, ids["child"], core.MetricInput{Key: "loss", Value: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.GetMetric(ctx, id)
	if err != nil || m.Step != 3 {
		t.Fatalf("next auto step = %+v, %v", m, err)
	}
	if _, err := s.CreateParameter(ctx, ids["driver"], "epochs", 10); err != nil {
		t.Fatal(err)
	}
	v2, err := s.CreateModelVersion(ctx, core.ModelVersionCreate{ModelID: ids["model"], IterationID: ids["driver"]})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateModelVersion(ctx, v2, core.ModelVersionUpdate{Stage: new(core.StageProduction)}); err != nil {
		t.Fatal(err)
	}
	if old, _ := s.GetModelVersion(ctx, ids["version"]); old.Stage != core.StageArchived {
		t.Fatalf("upstream's production version was not archived: %+v", old)
	}
	// Upstream's foreign keys made this fail half-way; the store dropped them.
	if err := s.DeleteIteration(ctx, ids["driver"]); err != nil {
		t.Fatalf("delete a driver whose child has data: %v", err)
	}
	if err := s.DeleteProject(ctx, ids["project"]); err != nil {
		t.Fatalf("delete the whole project: %v", err)
	}
}

// TestUpstreamKeepsWorkingOnOurFiles runs upstream's own SQL against a file
// this store wrote: its inserts rely on DEFAULT uuid() and its reads on the
// column names, and the store notices points written behind its back.
func TestUpstreamKeepsWorkingOnOurFiles(t *testing.T) {
	t.Parallel()
	for name, opts := range map[string][]duckdb.Option{"uuid": nil, "integer": {duckdb.WithIntegerIDs()}} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			upstreamKeepsWorking(t, opts)
		})
	}
}

func upstreamKeepsWorking(t *testing.T, opts []duckdb.Option) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "deardiary.db")
	s, err := duckdb.Open(path, append(opts, duckdb.WithBcryptCost(bcrypt.MinCost))...)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := s.CreateProject(ctx, core.ProjectCreate{Name: "P"})
	e, _ := s.CreateExperiment(ctx, core.ExperimentCreate{ProjectID: p, Name: "E"})
	it, err := s.CreateIteration(ctx, core.IterationCreate{ExperimentID: e})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.LogMetric(ctx, it, core.MetricInput{Key: "loss", Value: 1}); err != nil {
		t.Fatal(err)
	}
	s.Close()

	db, err := sql.Open("duckdb", path)
	if err != nil {
		t.Fatal(err)
	}
	var metricID string
	if err := db.QueryRow(`INSERT INTO metric (iteration_id, key, value, step, recorded_at) VALUES (?, 'loss', 0.5, 1, '2026-07-01T10:00:00') RETURNING id`, it).Scan(&metricID); err != nil {
		t.Fatalf("upstream's metric insert: %v", err)
	}
	var iterID string
	if err := db.QueryRow(`INSERT INTO iteration (experiment_id, created_date, status_id) VALUES (?, '2026-07-01T10:00:00', 1) RETURNING id`, e).Scan(&iterID); err != nil {
		t.Fatalf("upstream's iteration insert: %v", err)
	}
	var dirty int64
	var name string
	if err := db.QueryRow(`SELECT git_dirty, (SELECT name FROM experiment WHERE id = ?) FROM iteration WHERE id = ?`, e, it).Scan(&dirty, &name); err != nil || name != "E" {
		t.Fatalf("upstream's reads: %v", err)
	}
	db.Close()

	s, err = duckdb.Open(path, duckdb.WithBcryptCost(bcrypt.MinCost))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	sums, err := s.MetricSummaries(ctx, core.SummaryFilter{IterationIDs: []string{it}})
	if err != nil || len(sums) != 1 || sums[0].Count != 2 || sums[0].Last != 0.5 {
		t.Fatalf("summaries after an upstream write = %+v, %v", sums, err)
	}
	if got, err := s.GetIteration(ctx, iterID); err != nil || got.Status != core.IterationRunning {
		t.Fatalf("upstream's iteration = %+v, %v", got, err)
	}
	id, err := s.LogMetric(ctx, it, core.MetricInput{Key: "loss", Value: 0.4})
	if err != nil {
		t.Fatal(err)
	}
	if m, _ := s.GetMetric(ctx, id); m.Step != 2 {
		t.Fatalf("auto step after an upstream write = %d, want 2", m.Step)
	}
}

// TestReleasedFileKeepsItsIDs: on a file DearDiary.jl 0.9.1 wrote, new rows
// continue each table's sequence, every id column stays BIGINT, and
// afterwards upstream's own inserts (which take nextval) carry on after the
// highest id the store wrote, even one a process left past its sequence.
func TestReleasedFileKeepsItsIDs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path, ids := upstreamtest.File(t, upstreamtest.Released)
	s, err := duckdb.Open(path, duckdb.WithBcryptCost(bcrypt.MinCost))
	if err != nil {
		t.Fatal(err)
	}
	p, _ := s.CreateProject(ctx, core.ProjectCreate{Name: "second"})
	e, _ := s.CreateExperiment(ctx, core.ExperimentCreate{ProjectID: p, Name: "e"})
	it, err := s.CreateIteration(ctx, core.IterationCreate{ExperimentID: ids["experiment"], ParentID: ids["driver"]})
	if err != nil {
		t.Fatal(err)
	}
	points, err := s.LogMetrics(ctx, it, core.MetricBatch{Metrics: []core.MetricInput{{Key: "loss", Value: 1}, {Key: "loss", Value: 0.5}}})
	if err != nil {
		t.Fatal(err)
	}
	for what, got := range map[string]string{"project": p, "experiment": e, "iteration": it, "first point": points[0], "second point": points[1]} {
		want := map[string]string{"project": "2", "experiment": "2", "iteration": "4", "first point": "4", "second point": "5"}[what]
		if got != want {
			t.Errorf("%s id = %q, want %q, continuing the file's sequence", what, got, want)
		}
	}
	s.Close()

	db, err := sql.Open("duckdb", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT table_name, column_name, data_type FROM duckdb_columns()
		WHERE schema_name = 'main' AND (column_name = 'id' OR column_name LIKE '%\_id' ESCAPE '\')
		AND NOT internal AND table_name NOT IN ('journal_mark', 'iteration_snapshot_file')`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var table, column, typ string
		rows.Scan(&table, &column, &typ)
		if typ != "BIGINT" {
			t.Errorf("%s.%s is %s, want BIGINT as in DearDiary.jl 0.9.1", table, column, typ)
		}
	}
	rows.Close()
	var next int64
	if err := db.QueryRow(`INSERT INTO project (name, created_date) VALUES ('by upstream', '2026-07-01T10:00:00') RETURNING id`).Scan(&next); err != nil || next != 3 {
		t.Fatalf("upstream's project insert took id %d (%v), want 3", next, err)
	}
	// A process that wrote ids past a sequence and stopped before
	// advancing it: the next open advances it.
	if _, err := db.Exec(`INSERT INTO metric (id, iteration_id, key, value, step, recorded_at) VALUES (50, ?, 'loss', 0.1, 9, '2026-07-01T10:00:00')`, it); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s, err = duckdb.Open(path, duckdb.WithBcryptCost(bcrypt.MinCost))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := s.ListProjects(ctx, core.ProjectFilter{Name: "by upstream"}); len(got) != 1 || got[0].ID != "3" {
		t.Fatalf("upstream's project = %v", got)
	}
	s.Close()
	db, err = sql.Open("duckdb", path)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT nextval('seq_metric')`).Scan(&next); err != nil || next != 51 {
		t.Fatalf("nextval('seq_metric') = %d (%v), want 51: past the highest id", next, err)
	}
}
