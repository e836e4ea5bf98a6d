package main

import (
	"database/sql"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/core/duckdb/upstreamtest"
	"github.com/deardiary/deardiary-go/daemon/daemontest"
)

// TestServesReleasedFile: ddd serves a file DearDiary.jl 0.9.1 wrote to a
// client that speaks 0.9.1's wire, with ids as JSON numbers in answers,
// bodies, paths and ?parent_iteration_id, and what it writes reads back
// with upstream's own SQL, its ids continuing the file's sequences.
func TestServesReleasedFile(t *testing.T) {
	t.Parallel()
	path, ids := upstreamtest.File(t, upstreamtest.Released)
	m := startMain(t, func(c *Config) { c.DBFile = path })
	c := daemontest.API{T: t, Base: m.URL}

	number := func(a daemontest.Answer, key string) float64 {
		t.Helper()
		n, ok := a.JSON()[key].(float64)
		if !ok {
			t.Fatalf("%s is not a JSON number in %s", key, a.Body)
		}
		return n
	}
	if n := number(c.Expect(c.Do("POST", "/project/", map[string]any{"name": "second"}), 201, ""), "project_id"); n != 2 {
		t.Fatalf("project_id = %v, want 2: the file's sequence continues", n)
	}
	e := number(c.Expect(c.Do("POST", "/experiment/project/2", map[string]any{"status_id": 1, "name": "E"}), 201, ""), "experiment_id")
	driver := number(c.Expect(c.Do("POST", "/iteration/experiment/"+ids["experiment"], nil), 201, ""), "iteration_id")
	child := number(c.Expect(c.Do("POST", "/iteration/experiment/"+ids["experiment"]+"?parent_iteration_id=4", nil), 201, ""), "iteration_id")
	if e != 2 || driver != 4 || child != 5 {
		t.Fatalf("experiment %v, iterations %v and %v: want 2, 4 and 5", e, driver, child)
	}
	got := c.Expect(c.Do("GET", "/iteration/5", nil), 200, "").JSON()
	if got["parent_iteration_id"] != float64(4) || got["experiment_id"] != float64(1) || got["id"] != float64(5) {
		t.Fatalf("child iteration = %v: want numeric ids", got)
	}
	points := c.Expect(c.Do("POST", "/metric/iteration/5/batch", map[string]any{"metrics": []map[string]any{
		{"key": "loss", "value": 0.5}, {"key": "loss", "value": 0.25}}}), 201, "").JSON()["metric_ids"]
	if list, _ := points.([]any); len(list) != 2 || list[0] != float64(4) || list[1] != float64(5) {
		t.Fatalf("metric_ids = %v, want [4 5]", points)
	}
	v := c.Expect(c.Do("POST", "/modelversion/model/"+ids["model"], map[string]any{"iteration_id": 5, "resource_id": 1}), 201, "")
	if n := number(v, "modelversion_id"); n != 2 {
		t.Fatalf("modelversion_id = %v, want 2", n)
	}
	c.Expect(c.Do("POST", "/tag/iteration/5", map[string]any{"value": "best"}), 201, "")
	// A path id that cannot be an integer is no entity here.
	c.Expect(c.Do("GET", "/iteration/0193a5c2-0000-7000-8000-000000000000", nil), 404, "NOT_FOUND")
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}

	// DearDiary.jl reads what ddd wrote with its own SQL, and its next
	// insert continues after it.
	db, err := sql.Open("duckdb", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var key string
	var count, next int64
	if err := db.QueryRow(`SELECT m.key, count(*) FROM metric m JOIN iteration i ON i.id = m.iteration_id
		WHERE i.parent_iteration_id = 4 GROUP BY m.key`).Scan(&key, &count); err != nil || key != "loss" || count != 2 {
		t.Fatalf("upstream's read of the child's metrics: %s %d %v", key, count, err)
	}
	if err := db.QueryRow(`INSERT INTO iteration (experiment_id, created_date, status_id) VALUES (1, '2026-07-01T10:00:00', 1) RETURNING id`).Scan(&next); err != nil || next != 6 {
		t.Fatalf("upstream's next iteration took id %d (%v), want 6", next, err)
	}
	var tags string
	if err := db.QueryRow(`SELECT string_agg(t.value, ',' ORDER BY t.value) FROM iteration_tag a JOIN tag t ON t.id = a.tag_id WHERE a.iteration_id = 5`).Scan(&tags); err != nil || !strings.Contains(tags, "best") {
		t.Fatalf("tags of the child: %q %v", tags, err)
	}
}

// TestIntegerIDsFlag: --ids integer makes a new database with integer ids,
// and refuses a file that has UUIDs rather than pretend to convert it.
func TestIntegerIDsFlag(t *testing.T) {
	t.Parallel()
	m := startMain(t, func(c *Config) { c.IntegerIDs = true })
	c := daemontest.API{T: t, Base: m.URL}
	if id := c.Expect(c.Do("POST", "/project/", map[string]any{"name": "p"}), 201, "").JSON()["project_id"]; id != float64(1) {
		t.Fatalf("project_id = %v, want the number 1", id)
	}
	uuidFile, _ := upstreamtest.File(t, upstreamtest.Head)
	other := NewMain(io.Discard)
	other.Config.Port, other.Config.DBFile, other.Config.IntegerIDs = 0, uuidFile, true
	if err := other.Run(t.Context()); err == nil || !strings.Contains(err.Error(), "has UUID ids") {
		other.Close()
		t.Fatalf("--ids integer on a UUID file: %v", err)
	}
}

// TestRunOnReleasedFile: ddd run tracks a command in a file DearDiary.jl
// 0.9.1 wrote, the command logs over REST with the integer id it is given,
// and ddd restore writes the snapshot into iteration_<id>.
func TestRunOnReleasedFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path, _ := upstreamtest.File(t, upstreamtest.Released)
	writeFiles(t, dir, map[string]string{"uv.lock": "version = 1\n"})
	r := ddd(t, dir, []string{"DDD_CHILD=log"}, "run", "--db", path, "--project", "Iris", "--experiment", "IrisClassifier", "--", self())
	if r.code != 0 || !strings.Contains(r.stdout, "logged 3 points") {
		t.Fatalf("run: exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	id := iterationIn(t, r.stderr)
	if id != "4" {
		t.Fatalf("the run is iteration %q, want 4: after the file's three", id)
	}
	s := openDB(t, path)
	if points, _, err := s.ListMetrics(t.Context(), core.MetricFilter{IterationID: id}); err != nil || len(points) != 3 {
		t.Fatalf("%d points, %v", len(points), err)
	}
	s.Close()
	restored := ddd(t, dir, nil, "restore", "--db", path, id, "--dir", "depot")
	if restored.code != 0 {
		t.Fatalf("restore: exit %d\n%s", restored.code, restored.stderr)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "depot", "iteration_4", "uv.lock")); err != nil || string(b) != "version = 1\n" {
		t.Fatalf("restored uv.lock: %q, %v", b, err)
	}
}
