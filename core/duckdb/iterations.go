package duckdb

import (
	"context"

	"github.com/deardiary/deardiary-go/core"
)

const iterationColumns = `id, experiment_id, COALESCE(parent_iteration_id::VARCHAR, ''), COALESCE(notes, ''), status_id,
	COALESCE(error_message, ''), created_date, COALESCE(end_date, ''), COALESCE(julia_version, ''), COALESCE(git_sha, ''),
	git_dirty, COALESCE(entrypoint, ''), COALESCE(project_toml, ''), COALESCE(manifest_toml, '')`

func scanIteration(r scanner) (*core.Iteration, error) {
	var (
		it           core.Iteration
		created, end string
		dirty        int64
	)
	env := &it.Environment
	if err := r.Scan(&it.ID, &it.ExperimentID, &it.ParentID, &it.Notes, &it.Status, &it.ErrorMessage, &created, &end,
		&env.JuliaVersion, &env.GitSHA, &dirty, &env.Entrypoint, &env.ProjectTOML, &env.ManifestTOML); err != nil {
		return nil, err
	}
	it.CreatedDate, it.EndDate, env.GitDirty = storedTime(created), storedTime(end), dirty != 0
	return &it, nil
}

// GetIteration implements core.IterationService.
func (s *Store) GetIteration(ctx context.Context, id string) (*core.Iteration, error) {
	return getOne(ctx, s.db, scanIteration, "iteration", id, `SELECT `+iterationColumns+` FROM iteration WHERE id = ?`, id)
}

// ListIterations implements core.IterationService.
func (s *Store) ListIterations(ctx context.Context, f core.IterationFilter) ([]*core.Iteration, int, error) {
	if f.Status != 0 && !f.Status.Valid() {
		return nil, 0, core.Invalid("unknown iteration status %d", f.Status)
	}
	return listPage(ctx, s, scanIteration, iterationColumns,
		`iteration WHERE experiment_id = ? AND (? = 0 OR status_id = ?)`, `created_date, id`, f.Page,
		f.ExperimentID, int64(f.Status), int64(f.Status))
}

// ChildIterations implements core.IterationService.
func (s *Store) ChildIterations(ctx context.Context, parentID string) ([]*core.Iteration, error) {
	return list(ctx, s.db, scanIteration, `SELECT `+iterationColumns+` FROM iteration
		WHERE parent_iteration_id = ? ORDER BY created_date, id`, parentID)
}

// CreateIteration implements core.IterationService.
func (s *Store) CreateIteration(ctx context.Context, in core.IterationCreate) (string, error) {
	if err := core.CheckText("notes", in.Notes); err != nil {
		return "", err
	}
	id, now := s.ids.next("iteration"), s.nowText()
	err := s.write(ctx, func(t *tx) error {
		if err := openExperiment(t, in.ExperimentID); err != nil {
			return err
		}
		var parent any // NULL unless a parent is given
		if in.ParentID != "" {
			p, err := t.iteration(in.ParentID)
			if err != nil {
				return err
			}
			if !p.exists {
				return core.Invalid("parent iteration %q not found", in.ParentID)
			}
			if p.experimentID != in.ExperimentID {
				return core.Invalid("parent iteration %q belongs to another experiment", in.ParentID)
			}
			parent = in.ParentID
		}
		if _, err := t.ExecContext(t.ctx, `INSERT INTO iteration (id, experiment_id, notes, created_date, end_date, parent_iteration_id, status_id)
			VALUES (?, ?, ?, ?, '', ?, ?)`, id, in.ExperimentID, in.Notes, now, parent, int64(core.IterationRunning)); err != nil {
			return err
		}
		t.setIteration(id, iterState{exists: true, experimentID: in.ExperimentID})
		return nil
	})
	if err != nil {
		return "", err
	}
	return id, nil
}

// runningIteration returns the state of an iteration that must exist (else
// missing(kind, id)) and still be running (else a lock error).
func runningIteration(t *tx, id string, missing func(kind, id string) *core.Error) (iterState, error) {
	st, err := t.iteration(id)
	switch {
	case err != nil:
		return st, err
	case !st.exists:
		return st, missing("iteration", id)
	case st.ended:
		return st, core.Locked(id)
	}
	return st, nil
}

// invalidRef reports a missing entity that the input refers to.
func invalidRef(kind, id string) *core.Error { return core.Invalid("%s %q not found", kind, id) }

// UpdateIteration implements core.IterationService.
func (s *Store) UpdateIteration(ctx context.Context, id string, upd core.IterationUpdate) error {
	if upd.Status != nil && !upd.Status.Valid() {
		return core.Invalid("unknown iteration status %d", *upd.Status)
	}
	for field, text := range map[string]*string{"notes": upd.Notes, "error message": upd.ErrorMessage} {
		if text != nil {
			if err := core.CheckText(field, *text); err != nil {
				return err
			}
		}
	}
	return s.write(ctx, func(t *tx) error {
		st, err := runningIteration(t, id, core.NotFound)
		if err != nil {
			return err
		}
		var c changes
		if upd.Notes != nil {
			c.set("notes", *upd.Notes)
		}
		if upd.ErrorMessage != nil {
			c.set("error_message", *upd.ErrorMessage)
		}
		if upd.Status != nil {
			c.set("status_id", int64(*upd.Status))
		}
		// Only an end date ends (and locks) an iteration, as upstream: its
		// clients send a terminal status and the end date together, and one
		// that sets the status first may still write its notes.
		if end := upd.EndDate; end != nil && !end.IsZero() {
			c.set("end_date", core.FormatTime(*end))
			st.ended = true
		}
		if err := c.apply(t.ctx, t, "iteration", id); err != nil {
			return err
		}
		t.setIteration(id, st)
		return nil
	})
}

// SetIterationEnvironment implements core.IterationService.
func (s *Store) SetIterationEnvironment(ctx context.Context, id string, env core.EnvironmentSnapshot) error {
	if err := core.CheckText("julia_version", env.JuliaVersion, "git_sha", env.GitSHA, "entrypoint", env.Entrypoint,
		"project_toml", env.ProjectTOML, "manifest_toml", env.ManifestTOML); err != nil {
		return err
	}
	return s.write(ctx, func(t *tx) error {
		if err := mustExist(t, "iteration", "iteration", id); err != nil {
			return err
		}
		_, err := t.ExecContext(t.ctx, `UPDATE iteration SET julia_version = ?, git_sha = ?, git_dirty = ?, entrypoint = ?,
			project_toml = ?, manifest_toml = ? WHERE id = ?`,
			env.JuliaVersion, env.GitSHA, boolInt(env.GitDirty), env.Entrypoint, env.ProjectTOML, env.ManifestTOML, id)
		return err
	})
}

// DeleteIteration implements core.IterationService.
func (s *Store) DeleteIteration(ctx context.Context, id string) error {
	return s.write(ctx, func(t *tx) error {
		if err := mustExist(t, "iteration", "iteration", id); err != nil {
			return err
		}
		return deleteIterations(t, "id = ?", id)
	})
}
