package postgres

import (
	"github.com/deardiary/deardiary-go/core"
)

// Deletes cascade through the foreign keys, in the statement that deletes
// the parent. What the database cannot do itself is remove the bytes of
// resources kept outside it: those rows are deleted first, with RETURNING,
// after their parent is locked so that no process can add a resource to it
// in between, and their bytes go once the transaction commits.

// deleteResources deletes the resources matching where (a condition on
// resource with the given arguments) and removes their external bytes
// after commit. It returns how many it deleted.
func deleteResources(t *tx, where string, args ...any) (int, error) {
	rows, err := t.Query(t.ctx, `DELETE FROM resource WHERE `+where+` RETURNING backend, COALESCE(uri, '')`, args...)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	type location struct{ backend, uri string }
	var gone []location
	for rows.Next() {
		var l location
		if err := rows.Scan(&l.backend, &l.uri); err != nil {
			return 0, err
		}
		gone = append(gone, l)
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	for _, l := range gone {
		t.dropAfterCommit(l.backend, l.uri)
	}
	return len(gone), nil
}

// lockForDelete locks the row id of table against every other change, or
// fails with NOT_FOUND: a transaction adding a child to it (whose foreign
// key check shares the row) finishes first, and none can start until the
// delete commits.
func lockForDelete(t *tx, kind, table, id string) error {
	if !storable(id) {
		return core.NotFound(kind, id)
	}
	var found string
	err := t.QueryRow(t.ctx, `SELECT id FROM `+table+` WHERE id = $1 FOR UPDATE`, id).Scan(&found)
	if noRow(err) {
		return core.NotFound(kind, id)
	}
	return err
}

// deleteExperiment deletes an experiment with its iterations (and all
// below them), resources and their bytes, and tags.
func deleteExperiment(t *tx, id string) error {
	if err := lockForDelete(t, "experiment", "experiment", id); err != nil {
		return err
	}
	if _, err := deleteResources(t, `experiment_id = $1`, id); err != nil {
		return err
	}
	_, err := t.Exec(t.ctx, `DELETE FROM experiment WHERE id = $1`, id)
	return err
}

// deleteProject deletes a project and everything in it.
func deleteProject(t *tx, id string) error {
	if err := lockForDelete(t, "project", "project", id); err != nil {
		return err
	}
	// The project's lock keeps new experiments out; these keep new
	// resources out of the ones it has.
	if _, err := t.Exec(t.ctx, `SELECT id FROM experiment WHERE project_id = $1 ORDER BY id FOR UPDATE`, id); err != nil {
		return err
	}
	if _, err := deleteResources(t, `experiment_id IN (SELECT id FROM experiment WHERE project_id = $1)`, id); err != nil {
		return err
	}
	_, err := t.Exec(t.ctx, `DELETE FROM project WHERE id = $1`, id)
	return err
}
