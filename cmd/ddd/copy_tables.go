package main

// The tables ddd copy moves, in the order it moves them: a row's parents
// before it, so that PostgreSQL's foreign keys hold after every batch, and
// the points last, since they are most of the work. Derived tables are not
// copied but rebuilt in the target (metric_summary, and core/duckdb's
// metric_summary_delta and metric_rollup), and each store's bookkeeping
// stays its own (schema_migrations, journal_mark).

// copyTable describes one table, as both stores have it.
type copyTable struct {
	name    string
	columns []string
	// key orders a PostgreSQL source's rows (its primary key), so an
	// interrupted copy resumes after the last row it committed.
	key []string
	// id is the column holding the row's own id, empty for tables keyed by
	// their parent's.
	id string
	// refs are the columns that hold the ids of other tables' rows.
	refs map[string]string
	// date is the column whose time a row's new UUID takes when integer
	// ids become UUIDs; rows without one take the store's first user's.
	date string
	// blob names the column of bytes: such a table moves in batches of
	// bounded size.
	blob string
	// where, when set, selects the rows that are copied and counted.
	where string
	// parents is the pass that sets iteration.parent_iteration_id once
	// every iteration is in (a PostgreSQL target refuses a child before
	// its parent): it updates rows rather than adding them.
	parents bool
	// optional tables are missing from DearDiary.jl's files and older
	// ones: a source without them has no such rows.
	optional bool
	// batchRows bounds the rows of one batch (default copyBatchRows).
	batchRows int
}

const (
	// copyBatchRows is how many rows one batch (one transaction in the
	// target) holds, and copyBatchBytes how many bytes of blobs.
	copyBatchRows  = 10_000
	copyBatchBytes = 16 << 20
	// copyMetricRows is the batch of points, the bulk of a store: twice
	// as many went no faster into PostgreSQL and took 60 MiB more memory.
	copyMetricRows = 25_000
)

// Tables named here are quoted where SQL needs it.
var copyTables = []*copyTable{
	{name: "user", id: "id", key: []string{"id"}, date: "created_date",
		columns: []string{"id", "first_name", "last_name", "username", "password", "created_date", "is_admin"}},
	{name: "project", id: "id", key: []string{"id"}, date: "created_date",
		columns: []string{"id", "name", "description", "created_date"}},
	{name: "user_permission", id: "id", key: []string{"id"}, refs: map[string]string{"user_id": "user", "project_id": "project"},
		columns: []string{"id", "user_id", "project_id", "create_permission", "read_permission", "update_permission", "delete_permission"}},
	{name: "experiment", id: "id", key: []string{"id"}, date: "created_date", refs: map[string]string{"project_id": "project"},
		columns: []string{"id", "project_id", "status_id", "name", "description", "created_date", "end_date"}},
	{name: "iteration", id: "id", key: []string{"id"}, date: "created_date",
		refs: map[string]string{"experiment_id": "experiment", "parent_iteration_id": "iteration"},
		columns: []string{"id", "experiment_id", "notes", "created_date", "end_date", "parent_iteration_id", "status_id", "error_message",
			"julia_version", "git_sha", "git_dirty", "entrypoint", "project_toml", "manifest_toml"}},
	{name: "iteration", parents: true, key: []string{"id"}, where: "parent_iteration_id IS NOT NULL",
		refs:    map[string]string{"id": "iteration", "parent_iteration_id": "iteration"},
		columns: []string{"id", "parent_iteration_id"}},
	{name: "parameter", id: "id", key: []string{"id"}, refs: map[string]string{"iteration_id": "iteration"},
		columns: []string{"id", "iteration_id", "key", "value"}},
	{name: "tag", id: "id", key: []string{"id"}, columns: []string{"id", "value"}},
	{name: "project_tag", id: "id", key: []string{"id"}, refs: map[string]string{"project_id": "project", "tag_id": "tag"},
		columns: []string{"id", "project_id", "tag_id"}},
	{name: "experiment_tag", id: "id", key: []string{"id"}, refs: map[string]string{"experiment_id": "experiment", "tag_id": "tag"},
		columns: []string{"id", "experiment_id", "tag_id"}},
	{name: "iteration_tag", id: "id", key: []string{"id"}, refs: map[string]string{"iteration_id": "iteration", "tag_id": "tag"},
		columns: []string{"id", "iteration_id", "tag_id"}},
	{name: "resource", id: "id", key: []string{"id"}, date: "created_date", blob: "data", refs: map[string]string{"experiment_id": "experiment"},
		columns: []string{"id", "experiment_id", "name", "description", "data", "created_date", "updated_date", "backend", "uri", "size_bytes", "content_hash"}},
	{name: "model", id: "id", key: []string{"id"}, date: "created_date", refs: map[string]string{"project_id": "project"},
		columns: []string{"id", "project_id", "name", "description", "created_date", "updated_date"}},
	{name: "model_version", id: "id", key: []string{"id"}, date: "created_date",
		refs:    map[string]string{"model_id": "model", "iteration_id": "iteration", "resource_id": "resource"},
		columns: []string{"id", "model_id", "version", "iteration_id", "resource_id", "stage_id", "description", "created_date", "updated_date"}},
	// The last version number handed out, which may be past the largest
	// left (numbers are never reused): copied, not rebuilt.
	{name: "model_version_counter", key: []string{"model_id"}, optional: true, refs: map[string]string{"model_id": "model"},
		columns: []string{"model_id", "last_version"}},
	// A snapshot's files hang off its files_key: the iteration's id on
	// files from before migration 007, a key of their own since.
	{name: "iteration_snapshot", key: []string{"iteration_id"}, optional: true, blob: "git_diff", refs: map[string]string{"iteration_id": "iteration"},
		columns: []string{"iteration_id", "captured_at", "runtime", "runtime_version", "runtimes", "root", "entrypoint", "git_commit",
			"git_dirty", "git_branch", "git_remote", "git_diff", "git_untracked", "notes", "files_key"}},
	// Files staged by a snapshot that never committed belong to nothing
	// and stay behind.
	{name: "iteration_snapshot_file", key: []string{"iteration_id", "path"}, optional: true, blob: "content",
		where:   "iteration_id IN (SELECT files_key FROM iteration_snapshot)",
		columns: []string{"iteration_id", "path", "ecosystem", "size_bytes", "sha256", "content", "skipped"}},
	{name: "metric", id: "id", key: []string{"id"}, date: "recorded_at", refs: map[string]string{"iteration_id": "iteration"},
		batchRows: copyMetricRows,
		columns:   []string{"id", "iteration_id", "key", "value", "step", "recorded_at"}},
}

// label names a table in progress lines and the copy's bookkeeping.
func (t *copyTable) label() string {
	if t.parents {
		return "iteration parents"
	}
	return t.name
}

// quoted is the table's name as SQL takes it.
func (t *copyTable) quoted() string { return quoteName(t.name) }

func quoteName(name string) string {
	if name == "user" {
		return `"user"`
	}
	return name
}

// column is the index of a column, -1 when the table has none by that name.
func (t *copyTable) column(name string) int {
	for i, c := range t.columns {
		if c == name {
			return i
		}
	}
	return -1
}

func (t *copyTable) rowsPerBatch() int {
	if t.batchRows > 0 {
		return t.batchRows
	}
	return copyBatchRows
}

// referenced are the tables whose ids other rows hold, and so whose new ids
// must be known before those rows move.
var referenced = []string{"user", "project", "experiment", "iteration", "tag", "resource", "model"}
