package main

import (
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/core/duckdb"
	"github.com/deardiary/deardiary-go/core/postgres"
)

// Helpers of the ddd copy tests: a store holding every kind of entity, and
// a dump of everything a Tracker answers about a store, to compare two.

// copyFixture is what fillStore made, by name.
type copyFixture struct {
	ids map[string]string
	// bytes of the file-backed resource, and where it is
	fileBytes []byte
	filePath  string
}

// at is a fixed time, so two fixtures are alike whenever they run.
func at(minute, ms int) time.Time {
	return time.Date(2026, 7, 1, 10, minute, 0, ms*1_000_000, time.UTC)
}

// fillStore gives s every kind of entity DearDiary has: users and
// permissions, projects, experiments (one finished), iterations in a tree
// with an ended one and upstream's environment columns, parameters of each
// type, metric series with ties and gaps, tags on every kind, resources
// inline, in a file and in S3 (the last two as raw rows), a snapshot with
// files, and models whose version counter is past their largest version.
// dir holds the file-backed resource's bytes.
func fillStore(t *testing.T, s core.Tracker, dir string) *copyFixture {
	t.Helper()
	ctx := context.Background()
	f := &copyFixture{ids: map[string]string{}}
	must := func(name, id string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if name != "" {
			f.ids[name] = id
		}
	}
	check := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	id, err := s.CreateUser(ctx, core.UserCreate{FirstName: "Ada", LastName: "Lovelace", Username: "ada", Password: "ada-secret"})
	must("ada", id, err)
	id, err = s.CreateUser(ctx, core.UserCreate{Username: "bob", Password: "bob-secret"})
	must("bob", id, err)
	admin := true
	check("make ada admin", s.UpdateUser(ctx, f.ids["ada"], core.UserUpdate{IsAdmin: &admin}))
	id, err = s.CreateProject(ctx, core.ProjectCreate{Name: "vision", Description: "image models"})
	must("vision", id, err)
	id, err = s.CreateProject(ctx, core.ProjectCreate{Name: "text", UserID: f.ids["ada"]})
	must("text", id, err)
	id, err = s.CreateUserPermission(ctx, f.ids["bob"], f.ids["vision"], core.Permissions{Read: true, Update: true})
	must("bob@vision", id, err)
	id, err = s.CreateExperiment(ctx, core.ExperimentCreate{ProjectID: f.ids["vision"], Name: "resnet", Description: "a sweep"})
	must("resnet", id, err)
	id, err = s.CreateExperiment(ctx, core.ExperimentCreate{ProjectID: f.ids["vision"], Name: "vit"})
	must("vit", id, err)
	id, err = s.CreateExperiment(ctx, core.ExperimentCreate{ProjectID: f.ids["text"], Name: "gpt"})
	must("gpt", id, err)

	id, err = s.CreateIteration(ctx, core.IterationCreate{ExperimentID: f.ids["resnet"], Notes: "the sweep"})
	must("driver", id, err)
	check("environment", s.SetIterationEnvironment(ctx, f.ids["driver"], core.EnvironmentSnapshot{
		JuliaVersion: "1.11.5", GitSHA: strings.Repeat("ab", 20), GitDirty: true, Entrypoint: "train.jl", ProjectTOML: "[deps]", ManifestTOML: "# manifest"}))
	for i, name := range []string{"trial-a", "trial-b", "trial-c"} {
		id, err = s.CreateIteration(ctx, core.IterationCreate{ExperimentID: f.ids["resnet"], ParentID: f.ids["driver"], Notes: name})
		must(name, id, err)
		it := f.ids[name]
		for _, p := range []struct {
			key   string
			value any
		}{{"learning_rate", 1e-3 * float64(i+1)}, {"batch_size", 32 << i}, {"optimizer", "adam"}, {"augment", i%2 == 0}, {"learning_rate", 0.5}} {
			_, err := s.CreateParameter(ctx, it, p.key, p.value)
			check("parameter", err)
		}
		var batch core.MetricBatch
		for step := range int64(120) {
			rec := at(20+i, int(step))
			batch.Metrics = append(batch.Metrics, core.MetricInput{Key: "loss", Value: 1 / float64(step+1+int64(i)), Step: new(step), RecordedAt: &rec})
			if step%10 == 0 {
				batch.Metrics = append(batch.Metrics, core.MetricInput{Key: "accuracy", Value: float64(step) / 120, Step: new(step), RecordedAt: &rec})
			}
		}
		// Two points at one step and time: the later one is "last".
		tie := at(30, 0)
		batch.Metrics = append(batch.Metrics, core.MetricInput{Key: "tie", Value: 1, Step: new(int64(5)), RecordedAt: &tie},
			core.MetricInput{Key: "tie", Value: 2, Step: new(int64(5)), RecordedAt: &tie}, core.MetricInput{Key: "tie", Value: -3, Step: new(int64(-2)), RecordedAt: &tie})
		_, err = s.LogMetrics(ctx, it, batch)
		check("metrics", err)
	}
	// Points without steps or times given: the store numbers and dates them.
	for range 5 {
		_, err := s.LogMetric(ctx, f.ids["driver"], core.MetricInput{Key: "throughput", Value: 100})
		check("metric", err)
	}
	id, err = s.CreateIteration(ctx, core.IterationCreate{ExperimentID: f.ids["resnet"]})
	must("failed", id, err)
	_, err = s.LogMetric(ctx, f.ids["failed"], core.MetricInput{Key: "loss", Value: 9, Step: new(int64(0))})
	check("metric", err)
	id, err = s.CreateIteration(ctx, core.IterationCreate{ExperimentID: f.ids["gpt"]})
	must("gpt-run", id, err)

	for kind, pairs := range map[core.Kind][][2]string{
		core.KindProject:    {{"vision", "team-a"}, {"text", "team-a"}},
		core.KindExperiment: {{"resnet", "baseline"}, {"resnet", "sweep"}},
		core.KindIteration:  {{"trial-a", "baseline"}, {"trial-b", "best"}, {"failed", "oom"}},
	} {
		for _, p := range pairs {
			_, err := s.AttachTag(ctx, kind, f.ids[p[0]], p[1])
			check("tag", err)
		}
	}
	end, failed, msg := at(40, 500), core.IterationFailed, "OutOfMemoryError()"
	check("end", s.UpdateIteration(ctx, f.ids["failed"], core.IterationUpdate{EndDate: &end, Status: &failed, ErrorMessage: &msg}))
	id, err = s.CreateResource(ctx, core.ResourceCreate{ExperimentID: f.ids["resnet"], Name: "weights", Description: "epoch 120"}, strings.NewReader("the weights"))
	must("weights", id, err)
	id, err = s.CreateResource(ctx, core.ResourceCreate{ExperimentID: f.ids["resnet"], Name: "empty"}, strings.NewReader(""))
	must("empty", id, err)
	f.fileBytes = []byte("bytes in a file\x00\xff")
	f.filePath = filepath.Join(dir, "ab", "0190b000-file")
	check("mkdir", os.MkdirAll(filepath.Dir(f.filePath), 0o755))
	check("write", os.WriteFile(f.filePath, f.fileBytes, 0o644))
	sum := sha256.Sum256(f.fileBytes)
	rawRows(t, s, `INSERT INTO resource (id, experiment_id, name, description, data, created_date, updated_date, backend, uri, size_bytes, content_hash)
		VALUES ('0190b000-0000-7000-8000-00000000f11e', ?, 'in a file', '', ?, '2026-07-01T10:50:00.000', '', 'filesystem', ?, ?, ?)`,
		f.ids["resnet"], []byte{}, "file://"+f.filePath, int64(len(f.fileBytes)), hex.EncodeToString(sum[:]))
	rawRows(t, s, `INSERT INTO resource (id, experiment_id, name, description, data, created_date, updated_date, backend, uri, size_bytes, content_hash)
		VALUES ('0190b000-0000-7000-8000-000000000053', ?, 'in s3', '', ?, '2026-07-01T10:51:00.000', '', 's3', 's3://bucket/7f/0190b000-0000-7000-8000-000000000053', 42, '')`,
		f.ids["resnet"], []byte{})
	f.ids["in a file"], f.ids["in s3"] = "0190b000-0000-7000-8000-00000000f11e", "0190b000-0000-7000-8000-000000000053"

	snap := &core.Snapshot{
		IterationID: f.ids["driver"], CapturedAt: at(19, 250), Runtime: "go", RuntimeVersion: "go1.26.8",
		Runtimes: []core.Runtime{{Name: "go", Version: "go1.26.8"}}, Root: "/src/vision", Entrypoint: "go run ./train",
		Git: core.GitState{Commit: strings.Repeat("c0ffee", 6) + "0123", Dirty: true, Diff: []byte("diff --git a/x b/x\n\x00binary\n"),
			Untracked: []string{"notes.txt"}, Branch: "main", Remote: "https://example.com/vision.git"},
		Files: []core.SnapshotFile{core.NewSnapshotFile("go.mod", "go", []byte("module vision\n")),
			core.NewSnapshotFile("go.sum", "go", []byte("example.com/x v1.0.0 h1:abc=\n")), core.NewSnapshotFile("empty.lock", "go", []byte{})},
		Notes: []string{"python: not found"},
	}
	check("snapshot", s.SaveSnapshot(ctx, f.ids["driver"], snap))

	id, err = s.CreateModel(ctx, core.ModelCreate{ProjectID: f.ids["vision"], Name: "resnet50", Description: "the classifier"})
	must("model", id, err)
	id, err = s.CreateModel(ctx, core.ModelCreate{ProjectID: f.ids["text"], Name: "unused"})
	must("model2", id, err)
	for i, name := range []string{"trial-a", "trial-b", "trial-c"} {
		in := core.ModelVersionCreate{ModelID: f.ids["model"], IterationID: f.ids[name], Description: name}
		if i == 0 {
			in.ResourceID = f.ids["weights"]
		}
		id, err = s.CreateModelVersion(ctx, in)
		must(fmt.Sprintf("v%d", i+1), id, err)
	}
	prod := core.StageProduction
	check("promote", s.UpdateModelVersion(ctx, f.ids["v1"], core.ModelVersionUpdate{Stage: &prod}))
	// Deleting the newest leaves the counter at 3: the next version is 4.
	check("delete", s.DeleteModelVersion(ctx, f.ids["v3"]))
	return f
}

// rawRows runs a statement on the store's own database, for rows no
// Tracker method writes (a resource in a file or in S3 under an inline
// backend).
func rawRows(t *testing.T, s core.Tracker, query string, args ...any) {
	t.Helper()
	ctx := context.Background()
	var err error
	switch s := s.(type) {
	case *duckdb.Store:
		err = s.WriteRaw(ctx, func(tx *duckdb.RawTx) error {
			_, err := tx.Exec(query, args...)
			return err
		})
	case *postgres.Store:
		n := 0
		var b strings.Builder
		for _, r := range query {
			if r == '?' {
				n++
				fmt.Fprintf(&b, "$%d", n)
				continue
			}
			b.WriteRune(r)
		}
		_, err = s.Raw().Exec(ctx, b.String(), args...)
	default:
		t.Fatalf("no raw rows on %T", s)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// idMapping reads a mapping file: by table, old id to new.
func idMapping(t *testing.T, path string) map[string]map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	records, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(records) == 0 || strings.Join(records[0], ",") != "table,old_id,new_id" {
		t.Fatalf("the mapping has no header: %v", records)
	}
	out := map[string]map[string]string{}
	for _, r := range records[1:] {
		if out[r[0]] == nil {
			out[r[0]] = map[string]string{}
		}
		if _, dup := out[r[0]][r[1]]; dup {
			t.Errorf("the mapping lists %s %s twice", r[0], r[1])
		}
		out[r[0]][r[1]] = r[2]
	}
	return out
}

// mapped is an id function over a mapping; ids it does not list are
// reported, and pass as they are.
func mapped(t *testing.T, m map[string]map[string]string) func(table, id string) string {
	return func(table, id string) string {
		if id == "" {
			return ""
		}
		if n, ok := m[table][id]; ok {
			return n
		}
		t.Errorf("the mapping has no %s %s", table, id)
		return id
	}
}

func sameIDs(_, id string) string { return id }

// dump is everything a Tracker answers about its store, a line per fact,
// in the order the store lists things; ids go through ids (table, id), and
// point ids are left out unless pointIDs.
func dump(t *testing.T, s core.Tracker, ids func(table, id string) string, pointIDs bool) []string {
	t.Helper()
	ctx := context.Background()
	var out []string
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	check := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	ts := func(tm time.Time) string { return tm.UTC().Format(time.RFC3339Nano) }
	users, err := s.ListUsers(ctx)
	check("users", err)
	for _, u := range users {
		add("user %s %s %q %q admin=%v %s", ids("user", u.ID), u.Username, u.FirstName, u.LastName, u.IsAdmin, ts(u.CreatedDate))
		perms, err := s.ListUserPermissions(ctx, core.PermissionFilter{UserID: u.ID})
		check("permissions", err)
		for _, p := range perms {
			add("  permission %s project %s %+v", ids("user_permission", p.ID), ids("project", p.ProjectID), p.Permissions)
		}
	}
	projects, err := s.ListProjects(ctx, core.ProjectFilter{})
	check("projects", err)
	for _, p := range projects {
		add("project %s %q %q %s", ids("project", p.ID), p.Name, p.Description, ts(p.CreatedDate))
		perms, err := s.ListUserPermissions(ctx, core.PermissionFilter{ProjectID: p.ID})
		check("permissions", err)
		for _, p := range perms {
			add("  permission %s user %s %+v", ids("user_permission", p.ID), ids("user", p.UserID), p.Permissions)
		}
		dumpTags(t, s, &out, ids, core.KindProject, p.ID)
		exps, total, err := s.ListExperiments(ctx, core.ExperimentFilter{ProjectID: p.ID})
		check("experiments", err)
		add("  experiments %d", total)
		for _, e := range exps {
			add("  experiment %s %q %q %v %s %s", ids("experiment", e.ID), e.Name, e.Description, e.Status, ts(e.CreatedDate), ts(e.EndDate))
			dumpTags(t, s, &out, ids, core.KindExperiment, e.ID)
			resources, _, err := s.ListResources(ctx, core.ResourceFilter{ExperimentID: e.ID})
			check("resources", err)
			for _, r := range resources {
				add("    resource %s %q %q %s %s %s size=%d %s", ids("resource", r.ID), r.Name, r.Description, ts(r.CreatedDate), ts(r.UpdatedDate),
					r.Backend, r.SizeBytes, r.ContentHash)
				body, err := s.OpenResource(ctx, r.ID)
				if err != nil {
					add("      bytes: %s", core.ErrorCode(err))
					continue
				}
				data, err := io.ReadAll(body)
				body.Close()
				check("bytes", err)
				add("      bytes %q", data)
			}
			params, n, err := s.ListParameters(ctx, core.ParameterFilter{ExperimentID: e.ID})
			check("parameters", err)
			add("    parameters %d", n)
			for _, p := range params {
				add("    parameter %s %s %s=%s", ids("parameter", p.ID), ids("iteration", p.IterationID), p.Key, p.Value)
			}
			sums, err := s.MetricSummaries(ctx, core.SummaryFilter{ExperimentID: e.ID})
			check("summaries", err)
			for _, m := range sums {
				add("    summary %s %s last=%v steps=%d..%d min=%v max=%v n=%d", ids("iteration", m.IterationID), m.Key, m.Last, m.FirstStep, m.LastStep, m.Min, m.Max, m.Count)
			}
			for _, filter := range []string{"metrics.loss < 0.05", "params.learning_rate = 0.5 and params.optimizer = 'adam'", "status = 'FAILED'"} {
				found, n, err := s.SearchIterations(ctx, core.IterationSearch{ExperimentIDs: []string{e.ID}, Filter: filter})
				check("search", err)
				var names []string
				for _, it := range found {
					names = append(names, ids("iteration", it.ID))
				}
				add("    search %q: %d %v", filter, n, names)
			}
			its, total, err := s.ListIterations(ctx, core.IterationFilter{ExperimentID: e.ID})
			check("iterations", err)
			add("    iterations %d", total)
			for _, it := range its {
				dumpIteration(t, s, &out, ids, pointIDs, it)
			}
		}
		models, _, err := s.ListModels(ctx, core.ModelFilter{ProjectID: p.ID})
		check("models", err)
		for _, m := range models {
			add("  model %s %q %q %s %s", ids("model", m.ID), m.Name, m.Description, ts(m.CreatedDate), ts(m.UpdatedDate))
			versions, _, err := s.ListModelVersions(ctx, core.ModelVersionFilter{ModelID: m.ID})
			check("versions", err)
			for _, v := range versions {
				add("    version %s %d iteration %s resource %s %v %q %s %s", ids("model_version", v.ID), v.Version, ids("iteration", v.IterationID),
					ids("resource", v.ResourceID), v.Stage, v.Description, ts(v.CreatedDate), ts(v.UpdatedDate))
			}
		}
	}
	return out
}

func dumpTags(t *testing.T, s core.Tracker, out *[]string, ids func(string, string) string, kind core.Kind, id string) {
	t.Helper()
	tags, err := s.ListTags(context.Background(), kind, id)
	if err != nil {
		t.Fatal(err)
	}
	for _, tag := range tags {
		*out = append(*out, fmt.Sprintf("    tag %s %q", ids("tag", tag.ID), tag.Value))
	}
}

func dumpIteration(t *testing.T, s core.Tracker, out *[]string, ids func(string, string) string, pointIDs bool, it *core.Iteration) {
	t.Helper()
	ctx := context.Background()
	add := func(format string, args ...any) { *out = append(*out, fmt.Sprintf(format, args...)) }
	ts := func(tm time.Time) string { return tm.UTC().Format(time.RFC3339Nano) }
	add("    iteration %s parent %s %v %q %q %s %s %+v", ids("iteration", it.ID), ids("iteration", it.ParentID), it.Status, it.Notes, it.ErrorMessage,
		ts(it.CreatedDate), ts(it.EndDate), it.Environment)
	children, err := s.ChildIterations(ctx, it.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range children {
		add("      child %s", ids("iteration", c.ID))
	}
	params, _, err := s.ListParameters(ctx, core.ParameterFilter{IterationID: it.ID})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range params {
		add("      parameter %s %s=%s", ids("parameter", p.ID), p.Key, p.Value)
	}
	dumpTags(t, s, out, ids, core.KindIteration, it.ID)
	points, n, err := s.ListMetrics(ctx, core.MetricFilter{IterationID: it.ID})
	if err != nil {
		t.Fatal(err)
	}
	add("      points %d", n)
	var keys []string
	for _, p := range points {
		id := "-"
		if pointIDs {
			id = ids("metric", p.ID)
		}
		add("      point %s %s step=%d %v %s", id, p.Key, p.Step, p.Value, ts(p.RecordedAt))
		if !slices.Contains(keys, p.Key) {
			keys = append(keys, p.Key)
		}
	}
	for _, key := range keys {
		for _, maxPoints := range []int{0, 16} {
			series, err := s.MetricHistory(ctx, core.HistoryQuery{Key: key, IterationIDs: []string{it.ID}, MaxPoints: maxPoints})
			if err != nil {
				t.Fatal(err)
			}
			for _, sr := range series {
				add("      history %s max=%d %v", sr.Key, maxPoints, sr.Points)
			}
		}
	}
	snap, err := s.GetSnapshot(ctx, it.ID)
	switch {
	case core.IsNotFound(err):
		add("      no snapshot")
	case err != nil:
		t.Fatal(err)
	default:
		add("      snapshot %s %s %s %v %q %q %+v %q %v", ts(snap.CapturedAt), snap.Runtime, snap.RuntimeVersion, snap.Runtimes, snap.Root, snap.Entrypoint,
			snap.Git, snap.Notes, snap.IterationID != "")
		for _, f := range snap.Files {
			add("        file %s %s %d %s %q %q", f.Path, f.Ecosystem, f.Size, f.SHA256, f.Content, f.Skipped)
		}
	}
}

// sameDump fails t where two dumps differ, showing the first differences.
func sameDump(t *testing.T, what string, want, got []string) {
	t.Helper()
	if slices.Equal(want, got) {
		return
	}
	shown := 0
	for i := 0; i < max(len(want), len(got)) && shown < 8; i++ {
		var w, g string
		if i < len(want) {
			w = want[i]
		}
		if i < len(got) {
			g = got[i]
		}
		if w != g {
			t.Errorf("%s, line %d:\n want %s\n  got %s", what, i, w, g)
			shown++
		}
	}
	if len(want) != len(got) {
		t.Errorf("%s: %d lines, want %d", what, len(got), len(want))
	}
}

// authenticates checks that a password still logs a user in.
func authenticates(t *testing.T, s core.Tracker, username, password string) {
	t.Helper()
	if _, err := s.Authenticate(context.Background(), username, password); err != nil {
		t.Errorf("%s cannot log in with the password: %v", username, err)
	}
}

// servedFile opens a copy of a file DearDiary.jl wrote as ddd would serve
// it: for writing, which migrates it. (Read-only, core/duckdb cannot read
// snapshots from a file that has no snapshot tables yet.)
func servedFile(t *testing.T, path string) *duckdb.Store {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	served := filepath.Join(t.TempDir(), "served.db")
	if err := os.WriteFile(served, b, 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := duckdb.Open(served, duckdb.WithBcryptCost(bcrypt.MinCost))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// openFile opens a DuckDB file read-only, as a reader would.
func openFile(t *testing.T, path string) *duckdb.Store {
	t.Helper()
	s, err := duckdb.Open(path, duckdb.ReadOnly(), duckdb.WithBcryptCost(bcrypt.MinCost))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// openPG opens a PostgreSQL store.
func openPG(t *testing.T, url string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), url, postgres.WithBcryptCost(bcrypt.MinCost))
	if err != nil {
		t.Fatal(err)
	}
	return s
}
