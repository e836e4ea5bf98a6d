// Package upstreamtest builds, for tests, database files the way
// DearDiary.jl writes them: its released 0.9.1 with integer ids from
// sequences, or its repository head with UUIDs. The schemas are written out
// by hand in testdata/upstream, independently of the store's own code, so a
// test on these files checks the store against upstream rather than
// against itself.
package upstreamtest

import (
	"database/sql"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2" // the "duckdb" driver
	"golang.org/x/crypto/bcrypt"
)

// The versions of DearDiary.jl whose files File writes.
const (
	Released = "0.9.1" // integer ids, what `] add DearDiary` installs
	Head     = "head"  // UUID ids, the unreleased repository head
)

// Versions lists them.
var Versions = []string{Released, Head}

// SchemaPath is the file holding the schema of a version.
func SchemaPath(version string) string {
	_, here, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(here), "..", "..", "..", "testdata", "upstream", "deardiary-"+version+"-schema.sql")
}

// File writes a database in a new temporary directory the way DearDiary.jl
// of version does: its schema with foreign keys, ids from the schema's
// defaults (sequences or DuckDB's uuid()), naive timestamps without
// milliseconds, BIGINT booleans, and the password hash of its default user
// (password "default"). It holds a project "Iris" with an experiment, a
// driver iteration with a Julia environment, a child with a parameter,
// three loss points and a tag, a failed iteration, an inline resource, and a
// model with a production version built from the child. It returns the
// file and the ids of these rows by name.
func File(t testing.TB, version string) (path string, ids map[string]string) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "deardiary.db")
	schema, err := os.ReadFile(SchemaPath(version))
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("duckdb", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(string(schema)); err != nil {
		t.Fatal(err)
	}
	hash, _ := bcrypt.GenerateFromPassword([]byte("default"), bcrypt.MinCost)
	ids = map[string]string{}
	insert := func(name, query string, args ...any) {
		t.Helper()
		var id string
		if err := db.QueryRow(query+" RETURNING id", args...).Scan(&id); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		ids[name] = id
	}
	insert("user", `INSERT INTO "user" (first_name, last_name, username, password, created_date, is_admin)
		VALUES ('Default User', '', 'default', ?, '2026-06-30T09:15:02.31', 1)`, string(hash))
	insert("project", `INSERT INTO project (name, created_date) VALUES ('Iris', '2026-06-30T09:16:00')`)
	insert("permission", `INSERT INTO user_permission (user_id, project_id) VALUES (?, ?)`, ids["user"], ids["project"])
	insert("experiment", `INSERT INTO experiment (project_id, status_id, name, created_date) VALUES (?, 1, 'IrisClassifier', '2026-06-30T09:17:00')`, ids["project"])
	insert("driver", `INSERT INTO iteration (experiment_id, created_date, status_id, julia_version, git_sha, git_dirty, entrypoint, project_toml, manifest_toml)
		VALUES (?, '2026-06-30T09:18:00', 1, '1.11.5', 'c0df1b0c0df1b0c0df1b0c0df1b0c0df1b0c0df1', 1, 'train.jl', '[deps]', '# manifest')`, ids["experiment"])
	insert("child", `INSERT INTO iteration (experiment_id, created_date, status_id, parent_iteration_id) VALUES (?, '2026-06-30T09:18:01.5', 1, ?)`,
		ids["experiment"], ids["driver"])
	insert("done", `INSERT INTO iteration (experiment_id, created_date, end_date, status_id, error_message) VALUES (?, '2026-06-30T09:18:02', '2026-06-30T09:30:00', 3, 'OutOfMemoryError()')`,
		ids["experiment"])
	insert("parameter", `INSERT INTO parameter (iteration_id, key, value) VALUES (?, 'learning_rate', '0.01')`, ids["child"])
	for i, v := range []float64{0.9, 0.5, 0.25} {
		insert("metric", `INSERT INTO metric (iteration_id, key, value, step, recorded_at) VALUES (?, 'loss', ?, ?, ?)`,
			ids["child"], v, i, time.Date(2026, 6, 30, 9, 19, i, 0, time.UTC).Format("2006-01-02T15:04:05"))
	}
	insert("resource", `INSERT INTO resource (experiment_id, name, data, created_date, backend, uri, size_bytes, content_hash)
		VALUES (?, 'weights', 'hello'::BLOB, '2026-06-30T09:20:00', 'inline', '', 5, '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824')`, ids["experiment"])
	insert("tag", `INSERT INTO tag (value) VALUES ('baseline')`)
	insert("iteration_tag", `INSERT INTO iteration_tag (iteration_id, tag_id) VALUES (?, ?)`, ids["child"], ids["tag"])
	insert("model", `INSERT INTO model (project_id, name, created_date) VALUES (?, 'iris', '2026-06-30T09:21:00')`, ids["project"])
	insert("version", `INSERT INTO model_version (model_id, version, iteration_id, resource_id, stage_id, created_date)
		VALUES (?, 1, ?, ?, 3, '2026-06-30T09:22:00')`, ids["model"], ids["child"], ids["resource"])
	return path, ids
}
