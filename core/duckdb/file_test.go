package duckdb_test

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/core/duckdb"
	"github.com/deardiary/deardiary-go/snapshot/snapshottest"
)

func openFile(t *testing.T, path string, opts ...duckdb.Option) *duckdb.Store {
	t.Helper()
	s, err := duckdb.Open(path, append([]duckdb.Option{duckdb.WithBcryptCost(bcrypt.MinCost)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// run creates a project, experiment and iteration.
func run(t *testing.T, s *duckdb.Store) (experiment, iteration string) {
	t.Helper()
	id, ctx := must[string](t), context.Background()
	p := id(s.CreateProject(ctx, core.ProjectCreate{Name: "p"}))
	e := id(s.CreateExperiment(ctx, core.ExperimentCreate{ProjectID: p, Name: "e"}))
	return e, id(s.CreateIteration(ctx, core.IterationCreate{ExperimentID: e}))
}

func query[T any](t *testing.T, path, q string) []T {
	t.Helper()
	db, err := sql.Open("duckdb", path+"?access_mode=read_only")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var v T
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

func TestSchema(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "deardiary.db")
	openFile(t, path).Close()
	tables := query[string](t, path, `SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY 1`)
	want := []string{"experiment", "experiment_tag", "iteration", "iteration_snapshot", "iteration_snapshot_file", "iteration_tag", "journal_mark", "metric", "metric_rollup", "metric_summary", "metric_summary_delta",
		"model", "model_version", "model_version_counter", "parameter", "project", "project_tag", "resource", "schema_migrations", "tag", "user", "user_permission"}
	if !slices.Equal(tables, want) {
		t.Fatalf("tables = %v\nwant   %v", tables, want)
	}
	if fks := query[string](t, path, `SELECT table_name FROM duckdb_constraints() WHERE constraint_type = 'FOREIGN KEY'`); len(fks) > 0 {
		t.Fatalf("foreign keys on %v", fks)
	}
	if pk := query[string](t, path, `SELECT constraint_type FROM duckdb_constraints() WHERE table_name = 'metric' AND constraint_type = 'PRIMARY KEY'`); len(pk) > 0 {
		t.Fatal("metric has a primary key")
	}
	defaults := query[string](t, path, `SELECT table_name || '.' || column_default FROM duckdb_columns() WHERE column_name = 'id' AND table_name NOT LIKE 'metric_summary%' ORDER BY 1`)
	for _, d := range defaults {
		if !strings.HasSuffix(d, ".uuid()") {
			t.Errorf("id default %s, want uuid() as upstream", d)
		}
	}
	migrations := query[string](t, path, `SELECT version || ' ' || name FROM schema_migrations ORDER BY version`)
	if !slices.Equal(migrations, []string{"1 baseline", "2 metric_summary", "3 model_version_counter", "4 drop_foreign_keys", "5 snapshot", "6 summary_first_step", "7 snapshot_files_key", "8 metric_rollup", "9 journal_mark"}) {
		t.Fatalf("schema_migrations = %v", migrations)
	}
	openFile(t, path).Close()
	if again := query[string](t, path, `SELECT version || ' ' || name FROM schema_migrations ORDER BY version`); !slices.Equal(again, migrations) {
		t.Fatalf("reopening changed schema_migrations: %v", again)
	}
	// Deleting every record and reopening stamps them again without error.
	db, err := sql.Open("duckdb", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`DELETE FROM schema_migrations`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	openFile(t, path).Close()
	if again := query[string](t, path, `SELECT version || ' ' || name FROM schema_migrations ORDER BY version`); !slices.Equal(again, migrations) {
		t.Fatalf("restamped schema_migrations: %v", again)
	}
}

func TestReopenKeepsEverything(t *testing.T) {
	t.Parallel()
	ctx, path := context.Background(), filepath.Join(t.TempDir(), "deardiary.db")
	s := openFile(t, path)
	_, it := run(t, s)
	for range 3 {
		must[string](t)(s.LogMetric(ctx, it, core.MetricInput{Key: "loss", Value: 1}))
	}
	s.Close()
	s = openFile(t, path)
	defer s.Close()
	id := must[string](t)(s.LogMetric(ctx, it, core.MetricInput{Key: "loss", Value: 0.5}))
	if m, err := s.GetMetric(ctx, id); err != nil || m.Step != 3 {
		t.Fatalf("auto step after reopening = %+v, %v", m, err)
	}
	sums, err := s.MetricSummaries(ctx, core.SummaryFilter{IterationIDs: []string{it}})
	if err != nil || len(sums) != 1 || sums[0].Count != 4 || sums[0].Last != 0.5 {
		t.Fatalf("summaries = %+v, %v", sums, err)
	}
	users, err := s.ListUsers(ctx)
	if err != nil || len(users) != 1 {
		t.Fatalf("the default user was seeded again: %v, %v", users, err)
	}
}

func TestOneStorePerFileInProcess(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "deardiary.db")
	s := openFile(t, path)
	_, err := duckdb.Open(path)
	if !errors.Is(err, duckdb.ErrLocked) {
		t.Fatalf("second Open = %v, want ErrLocked", err)
	}
	s.Close()
	openFile(t, path).Close() // free again after Close
}

// TestHelperHoldFile is not a test: TestLockedByAnotherProcess runs the test
// binary with it to hold a database from another process.
func TestHelperHoldFile(t *testing.T) {
	path := os.Getenv("DEARDIARY_TEST_HOLD")
	if path == "" {
		t.Skip("helper process only")
	}
	s := openFile(t, path)
	defer s.Close()
	fmt.Println("holding")
	io.Copy(io.Discard, os.Stdin) // until the parent closes stdin
}

func TestLockedByAnotherProcess(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "deardiary.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperHoldFile$")
	cmd.Env = append(os.Environ(), "DEARDIARY_TEST_HOLD="+path)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stdin.Close()
		cmd.Wait()
	}()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "holding\n" {
		t.Fatalf("helper said %q, %v", line, err)
	}
	for _, opts := range [][]duckdb.Option{nil, {duckdb.ReadOnly()}} {
		_, err := duckdb.Open(path, opts...)
		if !errors.Is(err, duckdb.ErrLocked) || !strings.Contains(err.Error(), "in use by another process") {
			t.Fatalf("Open of a held file = %v, want ErrLocked", err)
		}
	}
}

func TestReadOnly(t *testing.T) {
	t.Parallel()
	ctx, path := context.Background(), filepath.Join(t.TempDir(), "deardiary.db")
	s := openFile(t, path)
	e, it := run(t, s)
	must[string](t)(s.LogMetric(ctx, it, core.MetricInput{Key: "loss", Value: 1}))
	s.Close()
	a := openFile(t, path, duckdb.ReadOnly())
	defer a.Close()
	b := openFile(t, path, duckdb.ReadOnly()) // readers share the file
	defer b.Close()
	if _, total, err := b.ListIterations(ctx, core.IterationFilter{ExperimentID: e}); err != nil || total != 1 {
		t.Fatalf("read-only list = %d, %v", total, err)
	}
	if _, err := a.LogMetric(ctx, it, core.MetricInput{Key: "loss", Value: 1}); core.ErrorCode(err) != core.EInvalid || !strings.Contains(err.Error(), "read-only") {
		t.Fatalf("write to a read-only store = %v", err)
	}
	if _, err := duckdb.Open(filepath.Join(t.TempDir(), "missing.db"), duckdb.ReadOnly()); err == nil {
		t.Fatal("a missing file opened read-only")
	}
}

func TestRefusesOtherFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	other := filepath.Join(dir, "other.db")
	db, err := sql.Open("duckdb", other)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE sales (id INTEGER)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	for _, opts := range [][]duckdb.Option{nil, {duckdb.ReadOnly()}} {
		_, err := duckdb.Open(other, opts...)
		if core.ErrorCode(err) != core.EInvalid || !strings.Contains(err.Error(), "not a DearDiary database") {
			t.Fatalf("Open of another DuckDB file = %v", err)
		}
	}
	if got := query[string](t, other, `SELECT table_name FROM information_schema.tables`); !slices.Equal(got, []string{"sales"}) {
		t.Fatalf("the other file was changed: %v", got)
	}
	text := filepath.Join(dir, "notes.db")
	os.WriteFile(text, []byte("these are not the tables you are looking for\n"), 0o644)
	if _, err := duckdb.Open(text); err == nil || !strings.Contains(err.Error(), "not a DuckDB database") {
		t.Fatalf("Open of a text file = %v", err)
	}
}

// TestSummariesNoticeChangesInPlace changes a point behind the store's back
// without changing the number of points, as DearDiary.jl's update_metric does.
func TestSummariesNoticeChangesInPlace(t *testing.T) {
	t.Parallel()
	ctx, path := context.Background(), filepath.Join(t.TempDir(), "deardiary.db")
	s := openFile(t, path)
	_, it := run(t, s)
	for i := range 5 {
		must[string](t)(s.LogMetric(ctx, it, core.MetricInput{Key: "loss", Value: float64(i)}))
	}
	s.Close()
	db, err := sql.Open("duckdb", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE metric SET step = 100, value = 42 WHERE step = 4`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s = openFile(t, path)
	defer s.Close()
	sums, err := s.MetricSummaries(ctx, core.SummaryFilter{IterationIDs: []string{it}})
	if err != nil || len(sums) != 1 || sums[0].LastStep != 100 || sums[0].Last != 42 || sums[0].Max != 42 {
		t.Fatalf("summaries after an update in place = %+v, %v", sums, err)
	}
	id := must[string](t)(s.LogMetric(ctx, it, core.MetricInput{Key: "loss", Value: 1}))
	if m, _ := s.GetMetric(ctx, id); m.Step != 101 {
		t.Fatalf("next auto step = %d, want 101", m.Step)
	}
}

func TestCloseTwiceKeepsTheNextClaim(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "deardiary.db")
	s1 := openFile(t, path)
	s1.Close()
	s2 := openFile(t, path)
	defer s2.Close()
	s1.Close()
	if _, err := duckdb.Open(path); !errors.Is(err, duckdb.ErrLocked) {
		t.Fatalf("a third Store opened while the second is open: %v", err)
	}
}

func TestRepeatedIdsAcrossChunks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openFile(t, filepath.Join(t.TempDir(), "deardiary.db"))
	defer s.Close()
	e, it := run(t, s)
	other := must[string](t)(s.CreateIteration(ctx, core.IterationCreate{ExperimentID: e}))
	for _, id := range []string{it, other} {
		for i := range 3 {
			must[string](t)(s.LogMetric(ctx, id, core.MetricInput{Key: "loss", Value: float64(i)}))
		}
	}
	ids := []string{other, it}
	for i := range 1000 {
		ids = append(ids, fmt.Sprint("missing-", i))
	}
	ids = append(ids, it, other)
	series, err := s.MetricHistory(ctx, core.HistoryQuery{Key: "loss", IterationIDs: ids})
	if err != nil || len(series) != 2 || series[0].IterationID != other || len(series[1].Points) != 3 {
		t.Fatalf("history = %d series, %v", len(series), err)
	}
	sums, err := s.MetricSummaries(ctx, core.SummaryFilter{IterationIDs: ids})
	if err != nil || len(sums) != 2 || sums[0].IterationID > sums[1].IterationID {
		t.Fatalf("summaries = %+v, %v", sums, err)
	}
}

func TestTextMustBeUTF8(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openFile(t, filepath.Join(t.TempDir(), "deardiary.db"))
	defer s.Close()
	e, it := run(t, s)
	bad := "caf\xe9"
	checks := map[string]error{}
	_, checks["metric key"] = s.LogMetric(ctx, it, core.MetricInput{Key: bad, Value: 1})
	_, checks["parameter value"] = s.CreateParameter(ctx, it, "k", bad)
	_, checks["tag"] = s.AttachTag(ctx, core.KindIteration, it, bad)
	checks["notes"] = s.UpdateIteration(ctx, it, core.IterationUpdate{Notes: &bad})
	_, checks["experiment description"] = s.CreateExperiment(ctx, core.ExperimentCreate{ProjectID: "x", Name: "n", Description: bad})
	_, checks["lookup"] = s.GetTagByValue(ctx, bad)
	for what, err := range checks {
		if core.ErrorCode(err) != core.EInvalid {
			t.Errorf("%s with invalid UTF-8: %v", what, err)
		}
	}
	// A run whose error text is not UTF-8 still ends.
	var id string
	core.WithIteration(ctx, s, e, func(ctx context.Context, it *core.Iteration) error {
		id = it.ID
		return errors.New("bad header " + bad)
	}, core.WithSnapshot(false))
	if got, err := s.GetIteration(ctx, id); err != nil || got.Status != core.IterationFailed {
		t.Fatalf("iteration = %+v, %v", got, err)
	}
	// A zero time means now.
	zero := time.Time{}
	mid := must[string](t)(s.LogMetric(ctx, it, core.MetricInput{Key: "loss", Value: 1, RecordedAt: &zero}))
	if m, _ := s.GetMetric(ctx, mid); time.Since(m.RecordedAt) > time.Minute {
		t.Fatalf("recorded_at = %v", m.RecordedAt)
	}
}

// TestSnapshotFilesStagedAndClaimed: a saved snapshot's files replace the
// previous ones, and files a killed save left unclaimed are gone at the
// next open, while the snapshot stays whole.
func TestSnapshotFilesStagedAndClaimed(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "snap.db")
	s := openFile(t, path)
	ctx := context.Background()
	p := must[string](t)(s.CreateProject(ctx, core.ProjectCreate{Name: "p"}))
	e := must[string](t)(s.CreateExperiment(ctx, core.ExperimentCreate{ProjectID: p, Name: "e"}))
	it := must[string](t)(s.CreateIteration(ctx, core.IterationCreate{ExperimentID: e}))
	first := &core.Snapshot{Runtime: "go", Files: []core.SnapshotFile{core.NewSnapshotFile("go.mod", "go", []byte("module a\n")), core.NewSnapshotFile("go.sum", "go", []byte("x\n"))}}
	second := &core.Snapshot{Runtime: "go", Files: []core.SnapshotFile{core.NewSnapshotFile("go.mod", "go", []byte("module b\n"))}}
	if err := s.SaveSnapshot(ctx, it, first); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveSnapshot(ctx, it, second); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveSnapshot(ctx, "no-such-iteration", first); core.ErrorCode(err) != core.ENotFound {
		t.Fatalf("saving to a missing iteration: %v", err)
	}
	s.Close()
	if n := query[int64](t, path, `SELECT count(*) FROM iteration_snapshot_file`); n[0] != 1 {
		t.Fatalf("%d file rows after replacing the snapshot, want 1", n[0])
	}
	// What a save killed before its last step leaves behind.
	db, err := sql.Open("duckdb", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO iteration_snapshot_file (iteration_id, path, size_bytes, sha256, content) VALUES ('staged', 'big.bin', 3, '', 'abc')`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s = openFile(t, path)
	snap, err := s.GetSnapshot(ctx, it)
	s.Close()
	if err != nil || len(snap.Files) != 1 || string(snap.Files[0].Content) != "module b\n" {
		t.Fatalf("snapshot after reopening: %+v, %v", snap, err)
	}
	if n := query[int64](t, path, `SELECT count(*) FROM iteration_snapshot_file`); n[0] != 1 {
		t.Fatalf("%d file rows after reopening, want the unclaimed one gone", n[0])
	}
}

// TestLargeSnapshotUnderMemoryLimit saves and reads back a 100 MB snapshot
// in a store whose DuckDB may use 48 MB: files are saved a few megabytes at
// a time and folded into the file after each, so no step holds them all.
func TestLargeSnapshotUnderMemoryLimit(t *testing.T) {
	t.Parallel()
	if os.Getenv("DEARDIARY_TEST_LONG") == "" {
		t.Skip("moves 100 MB: DEARDIARY_TEST_LONG=1 runs it")
	}
	s := openFile(t, filepath.Join(t.TempDir(), "large.db"), duckdb.WithMemoryLimit("48MB")) // ddd's default
	defer s.Close()
	ctx := context.Background()
	p := must[string](t)(s.CreateProject(ctx, core.ProjectCreate{Name: "p"}))
	e := must[string](t)(s.CreateExperiment(ctx, core.ExperimentCreate{ProjectID: p, Name: "e"}))
	it := must[string](t)(s.CreateIteration(ctx, core.IterationCreate{ExperimentID: e}))
	want := snapshottest.Hostile(100<<20, 1)
	if err := s.SaveSnapshot(ctx, it, want); err != nil {
		t.Fatalf("saving: %v", err)
	}
	got, err := s.GetSnapshot(ctx, it)
	if err != nil {
		t.Fatalf("reading back: %v", err)
	}
	for _, f := range want.Files {
		if g := got.File(f.Path); g == nil || !bytes.Equal(g.Content, f.Content) {
			t.Fatalf("%s changed on the way", f.Path)
		}
	}
}
