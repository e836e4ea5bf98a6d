package postgres

import (
	"context"

	"github.com/deardiary/deardiary-go/core"
)

const modelColumns = `id, project_id, name, COALESCE(description, ''), created_date, COALESCE(updated_date, '')`

func scanModel(r scanner) (*core.Model, error) {
	var (
		m                core.Model
		created, updated string
	)
	if err := r.Scan(&m.ID, &m.ProjectID, &m.Name, &m.Description, &created, &updated); err != nil {
		return nil, err
	}
	m.CreatedDate, m.UpdatedDate = storedTime(created), storedTime(updated)
	return &m, nil
}

func getModel(ctx context.Context, q querier, id string) (*core.Model, error) {
	return getOne(ctx, q, scanModel, "model", id, `SELECT `+modelColumns+` FROM model WHERE id = $1`, id)
}

// GetModel implements core.ModelService.
func (s *Store) GetModel(ctx context.Context, id string) (*core.Model, error) {
	return getModel(ctx, s.pool, id)
}

// ListModels implements core.ModelService.
func (s *Store) ListModels(ctx context.Context, f core.ModelFilter) ([]*core.Model, int, error) {
	if !storable(f.ProjectID) || !storable(f.Name) {
		return []*core.Model{}, 0, nil
	}
	return listPage(ctx, s.pool, scanModel, modelColumns, `model WHERE project_id = $1 AND ($2 = '' OR name = $2)`,
		`created_date, id`, f.Page, f.ProjectID, f.Name)
}

// nameTaken is the conflict for a model name that the project's UNIQUE
// (project_id, name) refused.
func nameTaken(projectID, name string) error {
	return core.Errorf(core.EConflict, "project %q already has a model named %q", projectID, name)
}

// CreateModel implements core.ModelService.
func (s *Store) CreateModel(ctx context.Context, in core.ModelCreate) (string, error) {
	if err := core.RequireText("model name", in.Name); err != nil {
		return "", err
	}
	if err := core.CheckText("description", in.Description); err != nil {
		return "", err
	}
	id, now := newID(), s.nowText()
	err := s.write(ctx, func(t *tx) error {
		if err := requireEntity(t, "project", "project", in.ProjectID); err != nil {
			return err
		}
		_, err := t.Exec(t.ctx, `INSERT INTO model (id, project_id, name, description, created_date, updated_date)
			VALUES ($1, $2, $3, $4, $5, '')`, id, in.ProjectID, in.Name, in.Description, now)
		if isUnique(err, "") {
			return nameTaken(in.ProjectID, in.Name)
		}
		return err
	})
	if err != nil {
		return "", err
	}
	return id, nil
}

// UpdateModel implements core.ModelService.
func (s *Store) UpdateModel(ctx context.Context, id string, upd core.ModelUpdate) error {
	var c changes
	if upd.Name != nil {
		if err := core.RequireText("model name", *upd.Name); err != nil {
			return err
		}
		c.set("name", *upd.Name)
	}
	if upd.Description != nil {
		if err := core.CheckText("description", *upd.Description); err != nil {
			return err
		}
		c.set("description", *upd.Description)
	}
	if !c.empty() {
		c.set("updated_date", s.nowText())
	}
	return s.write(ctx, func(t *tx) error {
		m, err := getModel(t.ctx, t, id)
		if err != nil {
			return err
		}
		if err := c.apply(t, "model", id); isUnique(err, "") && upd.Name != nil {
			return nameTaken(m.ProjectID, *upd.Name)
		} else if err != nil {
			return err
		}
		return nil
	})
}

// DeleteModel implements core.ModelService; its versions and counter go
// with it (ON DELETE CASCADE), their resources stay.
func (s *Store) DeleteModel(ctx context.Context, id string) error {
	return s.write(ctx, func(t *tx) error { return deleteByID(t, "model", "model", id) })
}

const versionColumns = `id, model_id, version, iteration_id, COALESCE(resource_id, ''), stage_id, COALESCE(description, ''),
	created_date, COALESCE(updated_date, '')`

func scanVersion(r scanner) (*core.ModelVersion, error) {
	var (
		v                core.ModelVersion
		stage            int64
		created, updated string
	)
	if err := r.Scan(&v.ID, &v.ModelID, &v.Version, &v.IterationID, &v.ResourceID, &stage, &v.Description,
		&created, &updated); err != nil {
		return nil, err
	}
	v.Stage, v.CreatedDate, v.UpdatedDate = core.Stage(stage), storedTime(created), storedTime(updated)
	return &v, nil
}

func getVersion(ctx context.Context, q querier, id string) (*core.ModelVersion, error) {
	return getOne(ctx, q, scanVersion, "model version", id, `SELECT `+versionColumns+` FROM model_version WHERE id = $1`, id)
}

// GetModelVersion implements core.ModelService.
func (s *Store) GetModelVersion(ctx context.Context, id string) (*core.ModelVersion, error) {
	return getVersion(ctx, s.pool, id)
}

// ListModelVersions implements core.ModelService.
func (s *Store) ListModelVersions(ctx context.Context, f core.ModelVersionFilter) ([]*core.ModelVersion, int, error) {
	if f.Stage != 0 && !f.Stage.Valid() {
		return nil, 0, core.Invalid("unknown stage %d", f.Stage)
	}
	if !storable(f.ModelID) {
		return []*core.ModelVersion{}, 0, nil
	}
	return listPage(ctx, s.pool, scanVersion, versionColumns, `model_version WHERE model_id = $1 AND ($2 = 0 OR stage_id = $2)`,
		`version`, f.Page, f.ModelID, int64(f.Stage))
}

// sameProject fails with EInvalid unless the iteration or resource (table)
// exists and belongs, through its experiment, to the model's project.
func sameProject(t *tx, kind, table, id, projectID string) error {
	if !storable(id) {
		return invalidRef(kind, id)
	}
	var project string
	err := t.QueryRow(t.ctx, `SELECT e.project_id FROM `+table+` x JOIN experiment e ON e.id = x.experiment_id WHERE x.id = $1`, id).Scan(&project)
	switch {
	case noRow(err):
		return invalidRef(kind, id)
	case err != nil:
		return err
	case project != projectID:
		// In the words of a missing one: a caller with rights in this
		// project learns nothing of the others.
		return invalidRef(kind, id)
	}
	return nil
}

// CreateModelVersion implements core.ModelService. The number comes from the
// model's counter row, which the upsert locks until the version commits:
// one past the largest ever handed out (or found in model_version, for rows
// another tool wrote), never reused, never given twice.
func (s *Store) CreateModelVersion(ctx context.Context, in core.ModelVersionCreate) (string, error) {
	if err := core.CheckText("description", in.Description); err != nil {
		return "", err
	}
	id, now := newID(), s.nowText()
	err := s.write(ctx, func(t *tx) error {
		m, err := getModel(t.ctx, t, in.ModelID)
		if core.IsNotFound(err) {
			return invalidRef("model", in.ModelID)
		} else if err != nil {
			return err
		}
		if err := sameProject(t, "iteration", "iteration", in.IterationID, m.ProjectID); err != nil {
			return err
		}
		var resource any // NULL unless given
		if in.ResourceID != "" {
			if err := sameProject(t, "resource", "resource", in.ResourceID, m.ProjectID); err != nil {
				return err
			}
			resource = in.ResourceID
		}
		var version int64
		if err := t.QueryRow(t.ctx, `INSERT INTO model_version_counter AS c (model_id, last_version)
			VALUES ($1::VARCHAR, (SELECT COALESCE(max(version), 0) + 1 FROM model_version WHERE model_id = $1::VARCHAR))
			ON CONFLICT (model_id) DO UPDATE SET last_version = greatest(c.last_version + 1, excluded.last_version)
			RETURNING last_version`, m.ID).Scan(&version); err != nil {
			return err
		}
		_, err = t.Exec(t.ctx, `INSERT INTO model_version (id, model_id, version, iteration_id, resource_id, stage_id,
			description, created_date, updated_date) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, '')`,
			id, m.ID, version, in.IterationID, resource, int64(core.StageNone), in.Description, now)
		return err
	})
	if err != nil {
		return "", err
	}
	return id, nil
}

// UpdateModelVersion implements core.ModelService. A ResourceID of "" detaches
// the resource. Promotion locks the model, so two versions promoted at once
// by different processes end with one in PRODUCTION and the other archived.
func (s *Store) UpdateModelVersion(ctx context.Context, id string, upd core.ModelVersionUpdate) error {
	if upd.Stage != nil && !upd.Stage.Valid() {
		return core.Invalid("unknown stage %d", *upd.Stage)
	}
	if upd.Description != nil {
		if err := core.CheckText("description", *upd.Description); err != nil {
			return err
		}
	}
	now := s.nowText()
	return s.write(ctx, func(t *tx) error {
		v, err := getVersion(t.ctx, t, id)
		if err != nil {
			return err
		}
		var c changes
		if upd.Stage != nil {
			c.set("stage_id", int64(*upd.Stage))
		}
		if upd.Description != nil {
			c.set("description", *upd.Description)
		}
		if upd.ResourceID != nil {
			var resource any
			if *upd.ResourceID != "" {
				m, err := getModel(t.ctx, t, v.ModelID)
				if err != nil {
					return err
				}
				if err := sameProject(t, "resource", "resource", *upd.ResourceID, m.ProjectID); err != nil {
					return err
				}
				resource = *upd.ResourceID
			}
			c.set("resource_id", resource)
		}
		if c.empty() {
			return nil
		}
		c.set("updated_date", now)
		if upd.Stage != nil && *upd.Stage == core.StageProduction {
			// The incumbent steps down first: at most one version is in
			// PRODUCTION at any moment (model_version_production).
			if _, err := t.Exec(t.ctx, `SELECT id FROM model WHERE id = $1 FOR UPDATE`, v.ModelID); err != nil {
				return err
			}
			if _, err := t.Exec(t.ctx, `UPDATE model_version SET stage_id = $1, updated_date = $2
				WHERE model_id = $3 AND id <> $4 AND stage_id = $5`,
				int64(core.StageArchived), now, v.ModelID, id, int64(core.StageProduction)); err != nil {
				return err
			}
		}
		return c.apply(t, "model_version", id)
	})
}

// DeleteModelVersion implements core.ModelService.
func (s *Store) DeleteModelVersion(ctx context.Context, id string) error {
	return s.write(ctx, func(t *tx) error { return deleteByID(t, "model version", "model_version", id) })
}
