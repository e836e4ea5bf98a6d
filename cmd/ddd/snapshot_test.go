package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/core/duckdb"
)

// seedSnapshot stores snap for a new iteration in a new database file (as a
// daemon or an older ddd might have) and returns the file and the iteration.
func seedSnapshot(t *testing.T, snap *core.Snapshot) (db, iteration string) {
	t.Helper()
	ctx := context.Background()
	db = filepath.Join(t.TempDir(), "runs.db")
	s, err := duckdb.Open(db, duckdb.WithBcryptCost(bcrypt.MinCost))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p, _ := s.CreateProject(ctx, core.ProjectCreate{Name: "p"})
	e, _ := s.CreateExperiment(ctx, core.ExperimentCreate{ProjectID: p, Name: "e"})
	it, err := s.CreateIteration(ctx, core.IterationCreate{ExperimentID: e})
	if err != nil {
		t.Fatal(err)
	}
	if snap != nil {
		snap.IterationID = it
		if err := s.SaveSnapshot(ctx, it, snap); err != nil {
			t.Fatal(err)
		}
	}
	return db, it
}

// escapes are terminal control sequences: a title change, clearing the
// screen, a colour, a hyperlink, a bell.
const escapes = "\x1b]0;owned\x07\x1b[2J\x1b[31m\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\\a\r"

func assertNoEscapes(t *testing.T, what string, r result) {
	t.Helper()
	for _, out := range []string{r.stdout, r.stderr} {
		if i := strings.IndexFunc(out, func(c rune) bool { return c < ' ' && c != '\n' && c != '\t' || c == 0x7f }); i >= 0 {
			t.Errorf("%s printed a control character %q at %d:\n%q", what, out[i], i, out)
		}
	}
}

// TestPrintsNoControlCharacters: what ddd restore, ddd snapshot and ddd run
// print comes partly from others (a snapshot's entrypoint, remote and
// notes, a directory's name, a project's name); none of it reaches the
// terminal as control characters.
func TestPrintsNoControlCharacters(t *testing.T) {
	t.Parallel()
	snap := &core.Snapshot{Runtime: "python" + escapes, RuntimeVersion: "3.12" + escapes, Entrypoint: "python train.py" + escapes,
		Git:   core.GitState{Commit: strings.Repeat("a", 40), Remote: "https://example.com/x" + escapes},
		Files: []core.SnapshotFile{core.NewSnapshotFile("requirements.txt", "python", []byte("numpy==2\n"))}, Notes: []string{"note" + escapes}}
	db, it := seedSnapshot(t, snap)
	dir := t.TempDir()
	r := ddd(t, dir, nil, "restore", "--db", db, it, "--into", "out"+escapes)
	if r.code != 0 {
		t.Fatalf("restore: exit %d\n%s", r.code, r.stderr)
	}
	assertNoEscapes(t, "ddd restore", r)

	project := filepath.Join(dir, "proj"+escapes)
	writeFiles(t, project, map[string]string{"go.mod": "module x\n"})
	run := ddd(t, dir, nil, "run", "--db", db, "--project", "p"+escapes, "--experiment", "e"+escapes, "--dir", project, "--", "sh", "-c",
		`DDD_MAIN=1 "$0" snapshot --force --iteration "$DEARDIARY_ITERATION_ID" --dir "$1"`, self(), project)
	if run.code != 0 {
		t.Fatalf("run: exit %d\n%s", run.code, run.stderr)
	}
	assertNoEscapes(t, "ddd run and ddd snapshot", run)
	if !strings.Contains(run.stdout, "Captured 1 files of") {
		t.Errorf("ddd snapshot printed %q", run.stdout)
	}
	bad := ddd(t, dir, nil, "run", "--db", db, "--project", "p", "--experiment", "e", "--parent", "x"+escapes, "--", "true")
	assertNoEscapes(t, "ddd run's error", bad)
	if _, err := os.Stat(filepath.Join(dir, "out"+escapes, "requirements.txt")); err != nil {
		t.Errorf("the restore went elsewhere: %v", err)
	}
}

// TestRestoreSaysWhatToDoInstead: a refusal names the way past it.
func TestRestoreSaysWhatToDoInstead(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, driver := seedSnapshot(t, &core.Snapshot{Runtime: "python", Files: []core.SnapshotFile{core.NewSnapshotFile("uv.lock", "python", []byte("version = 1\n"))}})
	s, err := duckdb.Open(db, duckdb.WithBcryptCost(bcrypt.MinCost))
	if err != nil {
		t.Fatal(err)
	}
	it, _ := s.GetIteration(ctx, driver)
	child, _ := s.CreateIteration(ctx, core.IterationCreate{ExperimentID: it.ExperimentID, ParentID: driver})
	grandchild, _ := s.CreateIteration(ctx, core.IterationCreate{ExperimentID: it.ExperimentID, ParentID: child})
	alone, _ := s.CreateIteration(ctx, core.IterationCreate{ExperimentID: it.ExperimentID})
	s.Close()
	dir := t.TempDir()

	if r := ddd(t, dir, nil, "restore", "--db", db, driver); r.code != 0 {
		t.Fatalf("restore: exit %d\n%s", r.code, r.stderr)
	}
	again := ddd(t, dir, nil, "restore", "--db", db, driver)
	if again.code != 1 || !strings.Contains(again.stderr, "not empty") || !strings.Contains(again.stderr, "--force") {
		t.Errorf("restoring into a directory that is not empty: exit %d, %q; want it to name --force", again.code, again.stderr)
	}
	for _, id := range []string{child, grandchild} {
		r := ddd(t, dir, nil, "restore", "--db", db, id, "--dir", t.TempDir())
		want := "iteration " + id + " has no snapshot of its own; its driver " + driver + " has one: ddd restore " + driver
		if r.code != 1 || !strings.Contains(r.stderr, want) {
			t.Errorf("restoring a child: exit %d, %q; want %q", r.code, r.stderr, want)
		}
	}
	if r := ddd(t, dir, nil, "restore", "--db", db, alone); r.code != 1 || !strings.Contains(r.stderr, "no captured environment") {
		t.Errorf("restoring a driver without a snapshot: exit %d, %q", r.code, r.stderr)
	}
}
