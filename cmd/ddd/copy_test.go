package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"golang.org/x/crypto/bcrypt"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/core/duckdb"
	"github.com/deardiary/deardiary-go/core/duckdb/upstreamtest"
	"github.com/deardiary/deardiary-go/core/postgres/pgtest"
)

// sourceFile makes a DuckDB file with UUID ids holding fillStore's
// entities; the file-backed resource's bytes are under dir/artifacts.
func sourceFile(t *testing.T) (path, artifacts string, f *copyFixture) {
	t.Helper()
	dir := t.TempDir()
	path, artifacts = filepath.Join(dir, "source.db"), filepath.Join(dir, "artifacts")
	s, err := duckdb.Open(path, duckdb.WithBcryptCost(bcrypt.MinCost))
	if err != nil {
		t.Fatal(err)
	}
	f = fillStore(t, s, artifacts)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return path, artifacts, f
}

// copyStore runs ddd copy in this process; set changes the command.
func copyStore(t *testing.T, ctx context.Context, from, to string, set func(*Copy)) (stdout, stderr string, err error) {
	t.Helper()
	var out, errs bytes.Buffer
	c := &Copy{From: from, To: to, BcryptCost: bcrypt.MinCost, MemoryLimit: "64MB", Stdout: &out, Stderr: &errs}
	if set != nil {
		set(c)
	}
	err = c.Run(ctx)
	return out.String(), errs.String(), err
}

func mustCopy(t *testing.T, from, to string, set func(*Copy)) (stdout, stderr string) {
	t.Helper()
	stdout, stderr, err := copyStore(t, context.Background(), from, to, set)
	if err != nil {
		t.Fatalf("ddd copy %s %s: %v\n%s", from, to, err, stderr)
	}
	return stdout, stderr
}

// fileTables is every copied table of a DuckDB file, row by row as stored,
// in key order.
func fileTables(t *testing.T, path string) map[string][]string {
	t.Helper()
	s := openFile(t, path)
	defer s.Close()
	out := map[string][]string{}
	for _, tb := range copyTables {
		if tb.parents {
			continue
		}
		rows, err := s.QueryRaw(context.Background(), `SELECT `+strings.Join(tb.columns, ", ")+` FROM `+tb.quoted()+
			` WHERE `+targetWhere(tb)+` ORDER BY `+strings.Join(tb.key, ", "))
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			values := make([]any, len(tb.columns))
			dest := make([]any, len(values))
			for i := range values {
				dest[i] = &values[i]
			}
			if err := rows.Scan(dest...); err != nil {
				t.Fatal(err)
			}
			out[tb.name] = append(out[tb.name], fmt.Sprintf("%q", values))
		}
		rows.Close()
	}
	return out
}

// TestCopyRoundTrip takes a DuckDB file to PostgreSQL and back into a new
// file: each store answers every question as the first did, and the new
// file holds the first one's rows exactly, ids and timestamps included.
func TestCopyRoundTrip(t *testing.T) {
	t.Parallel()
	src, artifacts, _ := sourceFile(t)
	pg := pgtest.Schema(t)
	keepFiles := func(c *Copy) { c.Artifacts.Backend, c.Artifacts.Root = core.BackendFilesystem, artifacts }
	stdout, _ := mustCopy(t, src, pg, keepFiles)
	if !strings.Contains(stdout, "the counts match") || strings.Contains(stdout, "Ids that changed") {
		t.Errorf("ddd copy said:\n%s", stdout)
	}
	source := openFile(t, src)
	want := dump(t, source, sameIDs, true)
	source.Close()
	p := openPG(t, pg)
	sameDump(t, "PostgreSQL", want, dump(t, p, sameIDs, true))
	authenticates(t, p, "ada", "ada-secret")
	authenticates(t, p, core.DefaultUsername, core.DefaultUsername)
	p.Close()

	// Between two PostgreSQL databases too.
	pg2 := pgtest.Schema(t)
	mustCopy(t, pg, pg2, keepFiles)
	p = openPG(t, pg2)
	sameDump(t, "the second PostgreSQL", want, dump(t, p, sameIDs, true))
	p.Close()

	back := filepath.Join(t.TempDir(), "offline.db")
	mustCopy(t, pg, back, nil)
	file := openFile(t, back)
	sameDump(t, "the file copied back", want, dump(t, file, sameIDs, true))
	authenticates(t, file, "bob", "bob-secret")
	file.Close()
	wantRows, gotRows := fileTables(t, src), fileTables(t, back)
	for _, tb := range copyTables {
		if !slices.Equal(wantRows[tb.name], gotRows[tb.name]) {
			t.Errorf("table %s differs after the round trip:\n want %v\n  got %v", tb.name, wantRows[tb.name], gotRows[tb.name])
		}
	}

	// Each store goes on numbering versions where the first left off: the
	// counter came along, past the largest version left.
	for _, s := range []core.Tracker{openPG(t, pg), openWritable(t, back)} {
		models, _, err := s.ListModels(context.Background(), core.ModelFilter{Name: "resnet50", ProjectID: projectNamed(t, s, "vision")})
		if err != nil || len(models) != 1 {
			t.Fatalf("models %v, %v", models, err)
		}
		its, _, _ := s.ListIterations(context.Background(), core.IterationFilter{ExperimentID: experimentNamed(t, s, "resnet")})
		id, err := s.CreateModelVersion(context.Background(), core.ModelVersionCreate{ModelID: models[0].ID, IterationID: its[1].ID})
		if err != nil {
			t.Fatal(err)
		}
		if v, err := s.GetModelVersion(context.Background(), id); err != nil || v.Version != 4 {
			t.Errorf("%T: the next version is %+v, %v; want 4", s, v, err)
		}
		s.Close()
	}
}

func openWritable(t *testing.T, path string) *duckdb.Store {
	t.Helper()
	s, err := duckdb.Open(path, duckdb.WithBcryptCost(bcrypt.MinCost))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func projectNamed(t *testing.T, s core.Tracker, name string) string {
	t.Helper()
	ps, err := s.ListProjects(context.Background(), core.ProjectFilter{Name: name})
	if err != nil || len(ps) != 1 {
		t.Fatalf("project %s: %v, %v", name, ps, err)
	}
	return ps[0].ID
}

func experimentNamed(t *testing.T, s core.Tracker, name string) string {
	t.Helper()
	for _, p := range []string{"vision", "text"} {
		es, _, err := s.ListExperiments(context.Background(), core.ExperimentFilter{ProjectID: projectNamed(t, s, p), Name: name})
		if err != nil {
			t.Fatal(err)
		}
		if len(es) == 1 {
			return es[0].ID
		}
	}
	t.Fatalf("no experiment %s", name)
	return ""
}

// TestCopyReleasedFileIntoPostgres copies a file DearDiary.jl 0.9.1 wrote,
// integer ids and all, into PostgreSQL: the database answers as the file
// does, through the mapping of old ids to new, and the file is unchanged.
func TestCopyReleasedFileIntoPostgres(t *testing.T) {
	t.Parallel()
	src, old := upstreamtest.File(t, upstreamtest.Released)
	before := fileSum(t, src)
	pg := pgtest.Schema(t)
	stdout, _ := mustCopy(t, src, pg, nil)
	if after := fileSum(t, src); after != before {
		t.Error("the copy changed the file it copied from")
	}
	idmap := src + ".idmap.csv"
	if !strings.Contains(stdout, idmap) {
		t.Errorf("ddd copy did not name the mapping %s:\n%s", idmap, stdout)
	}
	m := idMapping(t, idmap)
	source := servedFile(t, src)
	want := dump(t, source, mapped(t, m), false)
	source.Close()
	p := openPG(t, pg)
	defer p.Close()
	sameDump(t, "PostgreSQL", want, dump(t, p, sameIDs, false))
	authenticates(t, p, core.DefaultUsername, core.DefaultUsername)

	// New ids are UUIDv7 dated by their rows, ending in the old id.
	child := m["iteration"][old["child"]]
	u, err := uuid.Parse(child)
	if err != nil || u.Version() != 7 {
		t.Fatalf("iteration %s became %q, not a UUIDv7", old["child"], child)
	}
	if sec, nsec := u.Time().UnixTime(); time.Unix(sec, nsec).UTC() != time.Date(2026, 6, 30, 9, 18, 1, 500_000_000, time.UTC) {
		t.Errorf("the child's new id has time %v, want its created date", time.Unix(sec, nsec).UTC())
	}
	n, _ := strconv.ParseInt(old["child"], 10, 64)
	if got := int64(binary.BigEndian.Uint64(u[8:]) & (1<<oldIDBits - 1)); got != n {
		t.Errorf("the child's new id ends in %d, want its old id %d", got, n)
	}
	// Iterations sort by their new ids as they did by their old.
	var olds []int64
	for o := range m["iteration"] {
		n, _ := strconv.ParseInt(o, 10, 64)
		olds = append(olds, n)
	}
	slices.Sort(olds)
	for i := 1; i < len(olds); i++ {
		if a, b := m["iteration"][fmt.Sprint(olds[i-1])], m["iteration"][fmt.Sprint(olds[i])]; a >= b {
			t.Errorf("iteration %d < %d, but %s >= %s", olds[i-1], olds[i], a, b)
		}
	}
	// Points have new ids too, not in the mapping: the old id is their tail.
	points, _, err := p.ListMetrics(context.Background(), core.MetricFilter{IterationID: child})
	if err != nil || len(points) != 3 {
		t.Fatalf("points %v, %v", points, err)
	}
	if _, listed := m["metric"]; listed {
		t.Error("the mapping lists points")
	}
	// The copied store takes new writes.
	if _, err := p.CreateParameter(context.Background(), child, "epochs", 10); err != nil {
		t.Error(err)
	}
}

func fileSum(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// TestCopyReleasedFileIntoFile copies a DearDiary.jl 0.9.1 file into new
// files: keeping its integer ids, whose sequences then continue, or told
// --ids uuid, with a mapping beside the new file.
func TestCopyReleasedFileIntoFile(t *testing.T) {
	t.Parallel()
	src, old := upstreamtest.File(t, upstreamtest.Released)
	source := servedFile(t, src)
	want := dump(t, source, sameIDs, true)
	source.Close()

	keep := filepath.Join(t.TempDir(), "kept.db")
	stdout, _ := mustCopy(t, src, keep, nil)
	if strings.Contains(stdout, "Ids that changed") {
		t.Errorf("integer ids kept, yet a mapping was written:\n%s", stdout)
	}
	s := openWritable(t, keep)
	if !s.IntegerIDs() {
		t.Error("the new file does not have integer ids")
	}
	sameDump(t, "the file with integer ids", want, dump(t, s, sameIDs, true))
	if id, err := s.CreateProject(context.Background(), core.ProjectCreate{Name: "next"}); err != nil || id != "2" {
		t.Errorf("the next project got id %q, %v; want 2", id, err)
	}
	if _, err := s.LogMetric(context.Background(), old["child"], core.MetricInput{Key: "loss", Value: 0.1}); err != nil {
		t.Error(err)
	}
	s.Close()

	uuids := filepath.Join(t.TempDir(), "uuids.db")
	mustCopy(t, src, uuids, func(c *Copy) { c.IDs = "uuid" })
	m := idMapping(t, uuids+".idmap.csv")
	source = servedFile(t, src)
	want = dump(t, source, mapped(t, m), false)
	source.Close()
	s = openFile(t, uuids)
	defer s.Close()
	if s.IntegerIDs() {
		t.Error("--ids uuid made a file with integer ids")
	}
	sameDump(t, "the file with UUIDs", want, dump(t, s, sameIDs, false))
}

// TestCopyRefuses checks the copies that would lose or mix data.
func TestCopyRefuses(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	src, _, _ := sourceFile(t)
	released, _ := upstreamtest.File(t, upstreamtest.Released)
	dir := t.TempDir()
	integerFile := filepath.Join(dir, "integer.db")
	mustCopy(t, released, integerFile, nil)
	busy := filepath.Join(dir, "busy.db")
	s := openWritable(t, busy)
	if _, err := s.CreateProject(ctx, core.ProjectCreate{Name: "mine"}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	held := filepath.Join(dir, "held.db")
	hold := openWritable(t, held)
	defer hold.Close()
	for _, c := range []struct {
		name, from, to, want string
		set                  func(*Copy)
	}{
		{"UUIDs into integers", src, filepath.Join(dir, "new.db"), "never turns UUIDs into integers", func(c *Copy) { c.IDs = "integer" }},
		{"UUIDs into an integer file", src, integerFile, "never turns UUIDs into integers", nil},
		{"into a store with data", src, busy, "is not empty: it holds rows in table project (1)", nil},
		{"integer ids appended", released, integerFile, "--append into a file with integer ids", func(c *Copy) { c.Append = true }},
		{"onto itself", src, src, "the same store", nil},
		{"ids of an existing file", released, busy, "--ids chooses the ids of a new file", func(c *Copy) { c.IDs = "integer" }},
		{"into a file in use", src, held, "is in use by another process, most likely ddd serving it: stop it", nil},
		{"from nothing", filepath.Join(dir, "missing.db"), held, "cannot read", nil},
	} {
		_, _, err := copyStore(t, ctx, c.from, c.to, c.set)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error saying %q", c.name, err, c.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "new.db")); err == nil {
		t.Error("a refused copy left a new file behind")
	}
	s = openFile(t, busy)
	defer s.Close()
	if ps, _ := s.ListProjects(ctx, core.ProjectFilter{}); len(ps) != 1 {
		t.Errorf("the refused copy changed the target: %d projects", len(ps))
	}
}

// TestCopyAppend adds a store to one in use: users and tags it has by name
// stand for the copied ones, which the mapping lists.
func TestCopyAppend(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	src, artifacts, f := sourceFile(t)
	pg := pgtest.Schema(t)
	p := openPG(t, pg)
	theirs, err := p.CreateUser(ctx, core.UserCreate{Username: "ada", Password: "their-ada"})
	if err != nil {
		t.Fatal(err)
	}
	other, err := p.CreateProject(ctx, core.ProjectCreate{Name: "theirs"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.AttachTag(ctx, core.KindProject, other, "baseline"); err != nil {
		t.Fatal(err)
	}
	tag, err := p.GetTagByValue(ctx, "baseline")
	if err != nil {
		t.Fatal(err)
	}
	p.Close()
	idmap := filepath.Join(t.TempDir(), "merged.csv")
	stdout, _ := mustCopy(t, src, pg, func(c *Copy) {
		c.Append, c.IDMap = true, idmap
		c.Artifacts.Backend, c.Artifacts.Root = core.BackendFilesystem, artifacts
	})
	if !strings.Contains(stdout, idmap) {
		t.Errorf("no mapping named:\n%s", stdout)
	}
	m := idMapping(t, idmap)
	source := openFile(t, src)
	defaultUser, err := source.GetUserByUsername(ctx, core.DefaultUsername)
	if err != nil {
		t.Fatal(err)
	}
	sourceTag, err := source.GetTagByValue(ctx, "baseline")
	if err != nil {
		t.Fatal(err)
	}
	source.Close()
	p = openPG(t, pg)
	defer p.Close()
	targetDefault, err := p.GetUserByUsername(ctx, core.DefaultUsername)
	if err != nil {
		t.Fatal(err)
	}
	wantMap := map[string]map[string]string{
		"user": {f.ids["ada"]: theirs, defaultUser.ID: targetDefault.ID},
		"tag":  {sourceTag.ID: tag.ID},
	}
	for table, ids := range wantMap {
		for old, new := range ids {
			if m[table][old] != new {
				t.Errorf("the mapping has %s %s -> %q, want %s", table, old, m[table][old], new)
			}
		}
	}
	if n := len(m["user"]) + len(m["tag"]); n != 3 || len(m) != 2 {
		t.Errorf("the mapping lists %v, want the two users and the tag only", m)
	}
	authenticates(t, p, "ada", "their-ada")
	perms, err := p.ListUserPermissions(ctx, core.PermissionFilter{UserID: theirs})
	if err != nil || len(perms) != 1 || perms[0].ProjectID != f.ids["text"] {
		t.Errorf("their ada has permissions %+v, %v; want the one the copied ada had on %s", perms, err, f.ids["text"])
	}
	projects, _ := p.ListProjects(ctx, core.ProjectFilter{})
	if len(projects) != 3 {
		t.Errorf("%d projects, want theirs and the two copied", len(projects))
	}
	tags, _ := p.ListTags(ctx, core.KindIteration, f.ids["trial-a"])
	if len(tags) != 1 || tags[0].ID != tag.ID {
		t.Errorf("trial-a has tags %+v, want their baseline %s", tags, tag.ID)
	}
	// The same store again: its rows are there already.
	_, _, err = copyStore(t, ctx, src, pg, func(c *Copy) { c.Append, c.IDMap = true, idmap })
	if err == nil || !strings.Contains(err.Error(), "has one of these rows already") {
		t.Errorf("copying the same store twice: %v, want the duplicates refused", err)
	}
}

// TestCopyResumes stops copies part way, in several tables and in both
// directions, and runs them again: every row arrives exactly once.
func TestCopyResumes(t *testing.T) {
	t.Parallel()
	src, artifacts, _ := sourceFile(t)
	source := openFile(t, src)
	want := dump(t, source, sameIDs, true)
	source.Close()
	pg := pgtest.Schema(t)
	back := filepath.Join(t.TempDir(), "back.db")
	settings := func(c *Copy) {
		c.Batch = 7
		c.Artifacts.Backend, c.Artifacts.Root = core.BackendFilesystem, artifacts
	}
	for _, leg := range []struct{ from, to string }{{src, pg}, {pg, back}} {
		for _, stop := range []struct {
			table string
			rows  int64
		}{{"user", 1}, {"iteration", 1}, {"iteration parents", 1}, {"parameter", 7}, {"metric", 300}, {"metric", 301}} {
			if stop.table == "iteration parents" && leg.to == back {
				continue // a DuckDB file takes parents with their iterations
			}
			ctx, cancel := context.WithCancel(context.Background())
			_, stderr, err := copyStore(t, ctx, leg.from, leg.to, func(c *Copy) {
				settings(c)
				c.AfterBatch = func(table string, rows int64) {
					if table == stop.table && rows >= stop.rows {
						cancel()
					}
				}
			})
			cancel()
			if err == nil {
				t.Fatalf("the copy did not stop in %s", stop.table)
			}
			if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "run the same command again") {
				t.Fatalf("stopped in %s: %v\n%s", stop.table, err, stderr)
			}
		}
		_, stderr := mustCopy(t, leg.from, leg.to, settings)
		if !strings.Contains(stderr, "resuming") || !strings.Contains(stderr, "copied before") {
			t.Errorf("the last run did not resume:\n%s", stderr)
		}
	}
	p := openPG(t, pg)
	sameDump(t, "PostgreSQL after interrupted copies", want, dump(t, p, sameIDs, true))
	p.Close()
	file := openFile(t, back)
	sameDump(t, "the file after interrupted copies", want, dump(t, file, sameIDs, true))
	file.Close()
	wantRows, gotRows := fileTables(t, src), fileTables(t, back)
	for _, tb := range copyTables {
		if !slices.Equal(wantRows[tb.name], gotRows[tb.name]) {
			t.Errorf("table %s differs:\n want %d rows\n  got %d", tb.name, len(wantRows[tb.name]), len(gotRows[tb.name]))
		}
	}
}

// TestCopyCountsMismatch changes a target while its copy is interrupted:
// the counts at the end tell, and the copy fails naming the table.
func TestCopyCountsMismatch(t *testing.T) {
	t.Parallel()
	src, artifacts, _ := sourceFile(t)
	pg := pgtest.Schema(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	settings := func(c *Copy) {
		c.Batch = 50
		c.Artifacts.Backend, c.Artifacts.Root = core.BackendFilesystem, artifacts
	}
	_, _, err := copyStore(t, ctx, src, pg, func(c *Copy) {
		settings(c)
		c.AfterBatch = func(table string, _ int64) {
			if table == "metric" {
				cancel()
			}
		}
	})
	if err == nil {
		t.Fatal("the copy did not stop")
	}
	p := openPG(t, pg)
	if _, err := p.CreateProject(context.Background(), core.ProjectCreate{Name: "meanwhile"}); err != nil {
		t.Fatal(err)
	}
	p.Close()
	_, _, err = copyStore(t, context.Background(), src, pg, settings)
	if err == nil || !strings.Contains(err.Error(), "the counts do not match") || !strings.Contains(err.Error(), "project: the copy wrote 2 rows") {
		t.Errorf("a target changed meanwhile: %v", err)
	}
}

// TestCopyKilledResumes kills a ddd copy process in the middle of the
// points and runs it again: the points are all there, once each.
func TestCopyKilledResumes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	src := filepath.Join(dir, "points.db")
	s := openWritable(t, src)
	p, _ := s.CreateProject(ctx, core.ProjectCreate{Name: "P"})
	e, _ := s.CreateExperiment(ctx, core.ExperimentCreate{ProjectID: p, Name: "E"})
	const points = 40_000
	for i := range 4 {
		it, err := s.CreateIteration(ctx, core.IterationCreate{ExperimentID: e})
		if err != nil {
			t.Fatal(err)
		}
		var b core.MetricBatch
		for step := range int64(points / 4) {
			b.Metrics = append(b.Metrics, core.MetricInput{Key: "loss", Value: float64(i) + 1/float64(step+1), Step: new(step)})
		}
		if _, err := s.LogMetrics(ctx, it, b); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	pg := pgtest.Schema(t)
	cmd := dddCommand(dir, nil, "copy", "--batch", "200", src, pg)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	watch := openPG(t, pg)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		var copied int64
		err := watch.Raw().QueryRow(ctx, `SELECT copied FROM `+progressTable+` WHERE tbl = 'metric'`).Scan(&copied)
		if err == nil && copied >= 2000 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("the copy made no progress on the points:\n%s", stderr.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	var copied int64
	if err := watch.Raw().QueryRow(ctx, `SELECT count(*) FROM metric`).Scan(&copied); err != nil {
		t.Fatal(err)
	}
	if copied >= points {
		t.Fatalf("the copy finished before it was killed (%d points); the test needs a slower copy", copied)
	}
	watch.Close()
	r := ddd(t, dir, nil, "copy", "--batch", "200", src, pg)
	if r.code != 0 || !strings.Contains(r.stderr, "resuming") {
		t.Fatalf("the second run: status %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	watch = openPG(t, pg)
	defer watch.Close()
	var n, distinct int64
	if err := watch.Raw().QueryRow(ctx, `SELECT count(*), count(DISTINCT (iteration_id, key, step)) FROM metric`).Scan(&n, &distinct); err != nil {
		t.Fatal(err)
	}
	if n != points || distinct != points {
		t.Errorf("%d points, %d distinct, want %d of each (killed after %d)", n, distinct, points, copied)
	}
	sums, err := watch.MetricSummaries(ctx, core.SummaryFilter{ExperimentID: e})
	if err != nil || len(sums) != 4 || sums[3].Count != points/4 {
		t.Errorf("summaries %+v, %v", sums, err)
	}
}

// TestCopyKilledFileResumes kills a ddd copy writing a DuckDB file in the
// middle of the points (the file's write-ahead log then holds its last
// commits) and runs it again: every point once, the summaries current.
func TestCopyKilledFileResumes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	src := filepath.Join(dir, "points.db")
	s := openWritable(t, src)
	p, _ := s.CreateProject(ctx, core.ProjectCreate{Name: "P"})
	e, _ := s.CreateExperiment(ctx, core.ExperimentCreate{ProjectID: p, Name: "E"})
	const points = 100_000
	for i := range 4 {
		it, err := s.CreateIteration(ctx, core.IterationCreate{ExperimentID: e})
		if err != nil {
			t.Fatal(err)
		}
		var b core.MetricBatch
		for step := range int64(points / 4) {
			b.Metrics = append(b.Metrics, core.MetricInput{Key: "loss", Value: float64(i) + 1/float64(step+1), Step: new(step)})
		}
		if _, err := s.LogMetrics(ctx, it, b); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	to := filepath.Join(dir, "copy.db")
	cmd := dddCommand(dir, nil, "copy", "--batch", "100", src, to)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The points come last: once the table before them is done, they are
	// under way.
	lines := bufio.NewScanner(stderr)
	for lines.Scan() && !strings.HasPrefix(strings.TrimSpace(lines.Text()), "iteration_snapshot_file") {
	}
	time.Sleep(300 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	killed := openFile(t, to)
	rows, err := killed.QueryRaw(ctx, `SELECT copied, done FROM `+progressTable+` WHERE tbl = 'metric'`)
	if err != nil {
		t.Fatal(err)
	}
	var copied, done int64
	for rows.Next() {
		rows.Scan(&copied, &done)
	}
	rows.Close()
	killed.Close()
	if done != 0 {
		t.Fatalf("the copy finished its %d points before it was killed; the test needs a slower copy", copied)
	}
	t.Logf("killed after %d points", copied)
	r := ddd(t, dir, nil, "copy", "--batch", "100", src, to)
	if r.code != 0 || !strings.Contains(r.stderr, "resuming") {
		t.Fatalf("the second run: status %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	f := openFile(t, to)
	defer f.Close()
	rows, err = f.QueryRaw(ctx, `SELECT count(*), count(DISTINCT id), (SELECT sum(count) FROM metric_summary) + (SELECT COALESCE(sum(count), 0) FROM metric_summary_delta) FROM metric`)
	if err != nil {
		t.Fatal(err)
	}
	var n, distinct, summarised int64
	for rows.Next() {
		rows.Scan(&n, &distinct, &summarised)
	}
	rows.Close()
	if n != points || distinct != points || summarised != points {
		t.Errorf("%d points, %d distinct, %d summarised; want %d of each", n, distinct, summarised, points)
	}
}

// TestCopyResourceBytes follows the bytes of resources: inline bytes and S3
// rows travel as they are; a file stays where the target reads it, and is
// copied into the target's backend otherwise.
func TestCopyResourceBytes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	src, artifacts, f := sourceFile(t)
	elsewhere := t.TempDir()
	for _, c := range []struct {
		name        string
		postgres    bool
		set         func(*Copy)
		backend     string
		uriPrefix   string
		warning     string
		removeFirst bool
	}{
		{name: "into PostgreSQL, inline", postgres: true, backend: core.BackendInline},
		{name: "into PostgreSQL, another root", postgres: true, backend: core.BackendFilesystem, uriPrefix: "file://" + elsewhere,
			set: func(c *Copy) { c.Artifacts.Backend, c.Artifacts.Root = core.BackendFilesystem, elsewhere }},
		{name: "into PostgreSQL, the same root", postgres: true, backend: core.BackendFilesystem, uriPrefix: "file://" + f.filePath,
			set: func(c *Copy) { c.Artifacts.Backend, c.Artifacts.Root = core.BackendFilesystem, artifacts }},
		{name: "into a file", backend: core.BackendFilesystem, uriPrefix: "file://" + f.filePath},
		{name: "into a file, copying files", backend: core.BackendInline, set: func(c *Copy) { c.CopyFiles = true }},
	} {
		to := filepath.Join(t.TempDir(), "target.db")
		if c.postgres {
			to = pgtest.Schema(t)
		}
		mustCopy(t, src, to, c.set)
		var s core.Tracker
		if c.postgres {
			s = openPG(t, to)
		} else {
			s = openFile(t, to)
		}
		r, err := s.GetResource(ctx, f.ids["in a file"])
		if err != nil {
			t.Fatal(err)
		}
		if r.Backend != c.backend || !strings.HasPrefix(r.URI, c.uriPrefix) || r.SizeBytes != int64(len(f.fileBytes)) {
			t.Errorf("%s: the file's resource is %+v, want backend %s, uri %s...", c.name, r, c.backend, c.uriPrefix)
		}
		sum := sha256.Sum256(f.fileBytes)
		if r.ContentHash != fmt.Sprintf("%x", sum) {
			t.Errorf("%s: hash %s", c.name, r.ContentHash)
		}
		if data := readResource(t, s, r.ID); !bytes.Equal(data, f.fileBytes) {
			t.Errorf("%s: bytes %q, want %q", c.name, data, f.fileBytes)
		}
		if data := readResource(t, s, f.ids["weights"]); string(data) != "the weights" {
			t.Errorf("%s: inline bytes %q", c.name, data)
		}
		r, err = s.GetResource(ctx, f.ids["in s3"])
		if err != nil || r.Backend != core.BackendS3 || r.URI != "s3://bucket/7f/0190b000-0000-7000-8000-000000000053" || r.SizeBytes != 42 {
			t.Errorf("%s: the S3 row is %+v, %v; want it as it was", c.name, r, err)
		}
		s.Close()
	}
	// A file that is gone: the row comes as it is, with a warning.
	if err := os.Remove(f.filePath); err != nil {
		t.Fatal(err)
	}
	pg := pgtest.Schema(t)
	_, stderr := mustCopy(t, src, pg, nil)
	if !strings.Contains(stderr, "warning: resource "+f.ids["in a file"]+" names "+f.filePath+", which is not on this machine") {
		t.Errorf("no warning about the missing file:\n%s", stderr)
	}
	p := openPG(t, pg)
	defer p.Close()
	if r, err := p.GetResource(ctx, f.ids["in a file"]); err != nil || r.Backend != core.BackendFilesystem || r.URI != "file://"+f.filePath {
		t.Errorf("the missing file's row is %+v, %v", r, err)
	}
}

func readResource(t *testing.T, s core.Tracker, id string) []byte {
	t.Helper()
	body, err := s.OpenResource(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	defer body.Close()
	var b bytes.Buffer
	if _, err := b.ReadFrom(body); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestCopyCommandLine runs ddd copy as a user does: one progress line per
// table on a stderr that is not a terminal, the result on stdout, the
// mapping beside the new file, and usage errors.
func TestCopyCommandLine(t *testing.T) {
	t.Parallel()
	src, _ := upstreamtest.File(t, upstreamtest.Released)
	dir := t.TempDir()
	to := filepath.Join(dir, "copy.db")
	r := ddd(t, dir, nil, "copy", "--ids", "uuid", src, to)
	if r.code != 0 {
		t.Fatalf("status %d:\n%s", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	var tables []string
	for _, l := range lines {
		if strings.HasPrefix(l, "  ") {
			tables = append(tables, strings.Fields(l)[0])
		}
	}
	if len(tables) != len(copyTables)-1 || tables[0] != "user" || tables[len(tables)-1] != "metric" {
		t.Errorf("progress lines for %v, want one per table:\n%s", tables, r.stderr)
	}
	if !slices.ContainsFunc(lines, func(l string) bool {
		f := strings.Fields(l)
		return len(f) > 3 && f[0] == "metric" && f[1] == "3" && f[3] == "in"
	}) ||
		strings.Contains(r.stderr, "\r") {
		t.Errorf("the points' line:\n%q", r.stderr)
	}
	if !strings.Contains(r.stdout, "3 of them points") || !strings.Contains(r.stdout, to+".idmap.csv") {
		t.Errorf("stdout:\n%s", r.stdout)
	}
	if _, err := os.Stat(to + ".idmap.csv"); err != nil {
		t.Error(err)
	}
	for _, args := range [][]string{{"copy", src}, {"copy", "--ids", "octal", src, filepath.Join(dir, "x.db")}, {"copy", "--nope", src, to}} {
		r := ddd(t, dir, nil, args...)
		if r.code == 0 {
			t.Errorf("ddd %v succeeded", args)
		}
	}
	if r := ddd(t, dir, nil, "copy", "--help"); r.code != 0 || !strings.Contains(r.stderr, "Usage: ddd copy [flags] FROM TO") {
		t.Errorf("--help: %d\n%s", r.code, r.stderr)
	}
}
