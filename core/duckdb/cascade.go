package duckdb

import (
	"fmt"
	"strings"
)

// The cascades below delete sets of rows with set-based statements inside the
// caller's transaction, children before parents, so a delete happens whole or
// not at all. Each takes a condition on its own table ("experiment_id = ?").

// execAll runs statements in order, stopping at the first error. A statement
// may use the condition several times; it then gets the arguments as often.
func execAll(t *tx, args []any, statements ...string) error {
	for _, stmt := range statements {
		var stmtArgs []any
		if len(args) > 0 {
			for range strings.Count(stmt, "?") / len(args) {
				stmtArgs = append(stmtArgs, args...)
			}
		}
		if _, err := t.ExecContext(t.ctx, stmt, stmtArgs...); err != nil {
			return fmt.Errorf("cascade %q: %w", stmt, err)
		}
	}
	return nil
}

// deleteIterations deletes the matching iterations with their parameters,
// metrics, tags and the model versions built from them. Children outside the
// set become drivers.
func deleteIterations(t *tx, where string, args ...any) error {
	// Pending summary changes must land before the summaries are deleted.
	if err := t.flushSummaries(); err != nil {
		return err
	}
	t.forgetIterations()
	ids := "SELECT id FROM iteration WHERE " + where
	return execAll(t, args,
		"DELETE FROM parameter WHERE iteration_id IN ("+ids+")",
		"DELETE FROM metric WHERE iteration_id IN ("+ids+")",
		"DELETE FROM metric_summary WHERE iteration_id IN ("+ids+")",
		"DELETE FROM metric_summary_delta WHERE iteration_id IN ("+ids+")",
		"DELETE FROM metric_rollup WHERE iteration_id IN ("+ids+")",
		"DELETE FROM iteration_tag WHERE iteration_id IN ("+ids+")",
		"DELETE FROM iteration_snapshot_file WHERE iteration_id IN (SELECT files_key FROM iteration_snapshot WHERE iteration_id IN ("+ids+"))",
		"DELETE FROM iteration_snapshot WHERE iteration_id IN ("+ids+")",
		"DELETE FROM model_version WHERE iteration_id IN ("+ids+")",
		"UPDATE iteration SET parent_iteration_id = NULL WHERE parent_iteration_id IN ("+ids+") AND NOT ("+where+")",
		"DELETE FROM iteration WHERE "+where,
	)
}

// deleteResources deletes the matching resources; model versions that pointed
// at one keep going without it. External bytes are removed once the deletion
// commits, so a rolled-back delete never loses them.
func deleteResources(t *tx, where string, args ...any) error {
	rows, err := t.QueryContext(t.ctx, "SELECT backend, COALESCE(uri, '') FROM resource WHERE "+where, args...)
	if err != nil {
		return err
	}
	type location struct{ backend, uri string }
	var gone []location
	for rows.Next() {
		var l location
		if err := rows.Scan(&l.backend, &l.uri); err != nil {
			rows.Close()
			return err
		}
		if l.uri != "" {
			gone = append(gone, l)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	ids := "SELECT id FROM resource WHERE " + where
	if err := execAll(t, args,
		"UPDATE model_version SET resource_id = NULL WHERE resource_id IN ("+ids+")",
		"DELETE FROM resource WHERE "+where,
	); err != nil {
		return err
	}
	for _, l := range gone {
		t.dropAfterCommit(l.backend, l.uri)
	}
	return nil
}

// deleteExperiments deletes the matching experiments with their iterations,
// resources and tags.
func deleteExperiments(t *tx, where string, args ...any) error {
	ids := "SELECT id FROM experiment WHERE " + where
	if err := deleteIterations(t, "experiment_id IN ("+ids+")", args...); err != nil {
		return err
	}
	if err := deleteResources(t, "experiment_id IN ("+ids+")", args...); err != nil {
		return err
	}
	return execAll(t, args,
		"DELETE FROM experiment_tag WHERE experiment_id IN ("+ids+")",
		"DELETE FROM experiment WHERE "+where,
	)
}

// deleteModels deletes the matching models and their versions.
func deleteModels(t *tx, where string, args ...any) error {
	ids := "SELECT id FROM model WHERE " + where
	return execAll(t, args,
		"DELETE FROM model_version WHERE model_id IN ("+ids+")",
		"DELETE FROM model_version_counter WHERE model_id IN ("+ids+")",
		"DELETE FROM model WHERE "+where,
	)
}

// deleteProject deletes a project and everything in it.
func deleteProject(t *tx, id string) error {
	if err := deleteExperiments(t, "project_id = ?", id); err != nil {
		return err
	}
	if err := deleteModels(t, "project_id = ?", id); err != nil {
		return err
	}
	return execAll(t, []any{id},
		"DELETE FROM project_tag WHERE project_id = ?",
		"DELETE FROM user_permission WHERE project_id = ?",
		"DELETE FROM project WHERE id = ?",
	)
}
