package postgres

import (
	"context"

	"github.com/deardiary/deardiary-go/core"
)

const iterationColumns = `id, experiment_id, COALESCE(parent_iteration_id, ''), COALESCE(notes, ''), status_id,
	COALESCE(error_message, ''), created_date, COALESCE(end_date, ''), COALESCE(julia_version, ''), COALESCE(git_sha, ''),
	git_dirty, COALESCE(entrypoint, ''), COALESCE(project_toml, ''), COALESCE(manifest_toml, '')`

func scanIteration(r scanner) (*core.Iteration, error) {
	var (
		it            core.Iteration
		created, end  string
		status, dirty int64
	)
	env := &it.Environment
	if err := r.Scan(&it.ID, &it.ExperimentID, &it.ParentID, &it.Notes, &status, &it.ErrorMessage, &created, &end,
		&env.JuliaVersion, &env.GitSHA, &dirty, &env.Entrypoint, &env.ProjectTOML, &env.ManifestTOML); err != nil {
		return nil, err
	}
	it.Status, it.CreatedDate, it.EndDate, env.GitDirty = core.IterationStatus(status), storedTime(created), storedTime(end), dirty != 0
	return &it, nil
}

func getIteration(ctx context.Context, q querier, id string) (*core.Iteration, error) {
	return getOne(ctx, q, scanIteration, "iteration", id, `SELECT `+iterationColumns+` FROM iteration WHERE id = $1`, id)
}

// GetIteration implements core.IterationService.
func (s *Store) GetIteration(ctx context.Context, id string) (*core.Iteration, error) {
	return getIteration(ctx, s.pool, id)
}

// ListIterations implements core.IterationService.
func (s *Store) ListIterations(ctx context.Context, f core.IterationFilter) ([]*core.Iteration, int, error) {
	if f.Status != 0 && !f.Status.Valid() {
		return nil, 0, core.Invalid("unknown iteration status %d", f.Status)
	}
	if !storable(f.ExperimentID) {
		return []*core.Iteration{}, 0, nil
	}
	return listPage(ctx, s.pool, scanIteration, iterationColumns,
		`iteration WHERE experiment_id = $1 AND ($2 = 0 OR status_id = $2)`, `created_date, id`, f.Page,
		f.ExperimentID, int64(f.Status))
}

// ChildIterations implements core.IterationService.
func (s *Store) ChildIterations(ctx context.Context, parentID string) ([]*core.Iteration, error) {
	if !storable(parentID) {
		return []*core.Iteration{}, nil
	}
	return list(ctx, s.pool, scanIteration, `SELECT `+iterationColumns+` FROM iteration
		WHERE parent_iteration_id = $1 ORDER BY created_date, id`, parentID)
}

// CreateIteration implements core.IterationService.
func (s *Store) CreateIteration(ctx context.Context, in core.IterationCreate) (string, error) {
	if err := core.CheckText("notes", in.Notes); err != nil {
		return "", err
	}
	id, now := newID(), s.nowText()
	err := s.write(ctx, func(t *tx) error {
		if err := openExperiment(t, in.ExperimentID); err != nil {
			return err
		}
		var parent any // NULL unless a parent is given
		if in.ParentID != "" {
			experiment, _, err := lockIteration(t, in.ParentID, func(string, string) *core.Error {
				return core.Invalid("parent iteration %q not found", in.ParentID)
			})
			if err != nil {
				return err
			}
			if experiment != in.ExperimentID {
				return core.Invalid("parent iteration %q belongs to another experiment", in.ParentID)
			}
			parent = in.ParentID
		}
		_, err := t.Exec(t.ctx, `INSERT INTO iteration (id, experiment_id, notes, created_date, end_date, parent_iteration_id, status_id)
			VALUES ($1, $2, $3, $4, '', $5, $6)`, id, in.ExperimentID, in.Notes, now, parent, int64(core.IterationRunning))
		return err
	})
	if err != nil {
		return "", err
	}
	return id, nil
}

// UpdateIteration implements core.IterationService. The row stays locked
// from the check to the change: an iteration ended meanwhile by another
// process is refused, not changed.
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
		if !storable(id) {
			return core.NotFound("iteration", id)
		}
		var end string
		err := t.QueryRow(t.ctx, `SELECT COALESCE(end_date, '') FROM iteration WHERE id = $1 FOR UPDATE`, id).Scan(&end)
		switch {
		case noRow(err):
			return core.NotFound("iteration", id)
		case err != nil:
			return err
		case end != "":
			return core.Locked(id)
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
		if endDate := upd.EndDate; endDate != nil && !endDate.IsZero() {
			c.set("end_date", core.FormatTime(*endDate))
		}
		return c.apply(t, "iteration", id)
	})
}

// SetIterationEnvironment implements core.IterationService.
func (s *Store) SetIterationEnvironment(ctx context.Context, id string, env core.EnvironmentSnapshot) error {
	if err := core.CheckText("julia_version", env.JuliaVersion, "git_sha", env.GitSHA, "entrypoint", env.Entrypoint,
		"project_toml", env.ProjectTOML, "manifest_toml", env.ManifestTOML); err != nil {
		return err
	}
	return s.write(ctx, func(t *tx) error {
		if !storable(id) {
			return core.NotFound("iteration", id)
		}
		tag, err := t.Exec(t.ctx, `UPDATE iteration SET julia_version = $1, git_sha = $2, git_dirty = $3, entrypoint = $4,
			project_toml = $5, manifest_toml = $6 WHERE id = $7`,
			env.JuliaVersion, env.GitSHA, boolInt(env.GitDirty), env.Entrypoint, env.ProjectTOML, env.ManifestTOML, id)
		if err == nil && tag.RowsAffected() == 0 {
			return core.NotFound("iteration", id)
		}
		return err
	})
}

// DeleteIteration implements core.IterationService. The foreign keys do the
// rest in the same statement: parameters, metrics, summaries, tags,
// snapshot and model versions go; children become drivers.
func (s *Store) DeleteIteration(ctx context.Context, id string) error {
	return s.write(ctx, func(t *tx) error { return deleteByID(t, "iteration", "iteration", id) })
}
