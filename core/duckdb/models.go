package duckdb

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
	return getOne(ctx, q, scanModel, "model", id, `SELECT `+modelColumns+` FROM model WHERE id = ?`, id)
}

// GetModel implements core.ModelService.
func (s *Store) GetModel(ctx context.Context, id string) (*core.Model, error) {
	return getModel(ctx, s.db, id)
}

// ListModels implements core.ModelService.
func (s *Store) ListModels(ctx context.Context, f core.ModelFilter) ([]*core.Model, int, error) {
	return listPage(ctx, s, scanModel, modelColumns, `model WHERE project_id = ? AND (? = '' OR name = ?)`,
		`created_date, id`, f.Page, f.ProjectID, f.Name, f.Name)
}

// nameTaken fails with EConflict when another model of the project has name.
func nameTaken(t *tx, projectID, name, exceptID string) error {
	var n int
	if err := t.QueryRowContext(t.ctx, `SELECT count(*) FROM model WHERE project_id = ? AND name = ? AND id::VARCHAR <> ?`,
		projectID, name, exceptID).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return core.Errorf(core.EConflict, "project %q already has a model named %q", projectID, name)
	}
	return nil
}

// CreateModel implements core.ModelService.
func (s *Store) CreateModel(ctx context.Context, in core.ModelCreate) (string, error) {
	if err := core.RequireText("model name", in.Name); err != nil {
		return "", err
	}
	if err := core.CheckText("description", in.Description); err != nil {
		return "", err
	}
	id, now := s.ids.next("model"), s.nowText()
	err := s.write(ctx, func(t *tx) error {
		if err := requireEntity(t, "project", "project", in.ProjectID); err != nil {
			return err
		}
		if err := nameTaken(t, in.ProjectID, in.Name, ""); err != nil {
			return err
		}
		_, err := t.ExecContext(t.ctx, `INSERT INTO model (id, project_id, name, description, created_date, updated_date)
			VALUES (?, ?, ?, ?, ?, '')`, id, in.ProjectID, in.Name, in.Description, now)
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
		if upd.Name != nil {
			if err := nameTaken(t, m.ProjectID, *upd.Name, id); err != nil {
				return err
			}
		}
		return c.apply(t.ctx, t, "model", id)
	})
}

// DeleteModel implements core.ModelService.
func (s *Store) DeleteModel(ctx context.Context, id string) error {
	return s.write(ctx, func(t *tx) error {
		if err := mustExist(t, "model", "model", id); err != nil {
			return err
		}
		return deleteModels(t, "id = ?", id)
	})
}

const versionColumns = `id, model_id, version, iteration_id, COALESCE(resource_id::VARCHAR, ''), stage_id, COALESCE(description, ''),
	created_date, COALESCE(updated_date, '')`

func scanVersion(r scanner) (*core.ModelVersion, error) {
	var (
		v                core.ModelVersion
		created, updated string
	)
	if err := r.Scan(&v.ID, &v.ModelID, &v.Version, &v.IterationID, &v.ResourceID, &v.Stage, &v.Description,
		&created, &updated); err != nil {
		return nil, err
	}
	v.CreatedDate, v.UpdatedDate = storedTime(created), storedTime(updated)
	return &v, nil
}

func getVersion(ctx context.Context, q querier, id string) (*core.ModelVersion, error) {
	return getOne(ctx, q, scanVersion, "model version", id, `SELECT `+versionColumns+` FROM model_version WHERE id = ?`, id)
}

// GetModelVersion implements core.ModelService.
func (s *Store) GetModelVersion(ctx context.Context, id string) (*core.ModelVersion, error) {
	return getVersion(ctx, s.db, id)
}

// ListModelVersions implements core.ModelService.
func (s *Store) ListModelVersions(ctx context.Context, f core.ModelVersionFilter) ([]*core.ModelVersion, int, error) {
	if f.Stage != 0 && !f.Stage.Valid() {
		return nil, 0, core.Invalid("unknown stage %d", f.Stage)
	}
	return listPage(ctx, s, scanVersion, versionColumns, `model_version WHERE model_id = ? AND (? = 0 OR stage_id = ?)`,
		`version`, f.Page, f.ModelID, int64(f.Stage), int64(f.Stage))
}

// projectOf returns the project an iteration or resource belongs to, through
// its experiment, or "" when the entity is missing.
func projectOf(t *tx, table, id string) (string, error) {
	var project string
	err := t.QueryRowContext(t.ctx, `SELECT COALESCE(max(e.project_id)::VARCHAR, '') FROM `+table+` x
		JOIN experiment e ON e.id = x.experiment_id WHERE x.id = ?`, id).Scan(&project)
	return project, err
}

// sameProject fails with EInvalid unless the iteration or resource exists and
// belongs to the model's project. One of another project is refused in the
// words of one that does not exist, so that a caller with rights in this
// project learns nothing of the others.
func sameProject(t *tx, kind, table, id, projectID string) error {
	project, err := projectOf(t, table, id)
	switch {
	case err != nil:
		return err
	case project == "", project != projectID:
		return core.Invalid("%s %q not found", kind, id)
	}
	return nil
}

// CreateModelVersion implements core.ModelService. The number is one past the
// largest ever handed out for the model, so numbers are never reused.
func (s *Store) CreateModelVersion(ctx context.Context, in core.ModelVersionCreate) (string, error) {
	if err := core.CheckText("description", in.Description); err != nil {
		return "", err
	}
	id, now := s.ids.next("model_version"), s.nowText()
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
		if err := t.QueryRowContext(t.ctx, `SELECT greatest(
			(SELECT COALESCE(max(version), 0) FROM model_version WHERE model_id = ?),
			(SELECT COALESCE(max(last_version), 0) FROM model_version_counter WHERE model_id = ?)) + 1`,
			m.ID, m.ID).Scan(&version); err != nil {
			return err
		}
		if _, err := t.ExecContext(t.ctx, `INSERT INTO model_version_counter (model_id, last_version) VALUES (?, ?)
			ON CONFLICT (model_id) DO UPDATE SET last_version = excluded.last_version`, m.ID, version); err != nil {
			return err
		}
		_, err = t.ExecContext(t.ctx, `INSERT INTO model_version (id, model_id, version, iteration_id, resource_id, stage_id,
			description, created_date, updated_date) VALUES (?, ?, ?, ?, ?, ?, ?, ?, '')`,
			id, m.ID, version, in.IterationID, resource, int64(core.StageNone), in.Description, now)
		return err
	})
	if err != nil {
		return "", err
	}
	return id, nil
}

// UpdateModelVersion implements core.ModelService. A ResourceID of "" detaches
// the resource.
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
		if err := c.apply(t.ctx, t, "model_version", id); err != nil {
			return err
		}
		if upd.Stage != nil && *upd.Stage == core.StageProduction {
			_, err := t.ExecContext(t.ctx, `UPDATE model_version SET stage_id = ?, updated_date = ?
				WHERE model_id = ? AND id <> ? AND stage_id = ?`,
				int64(core.StageArchived), now, v.ModelID, id, int64(core.StageProduction))
			return err
		}
		return nil
	})
}

// DeleteModelVersion implements core.ModelService.
func (s *Store) DeleteModelVersion(ctx context.Context, id string) error {
	return s.write(ctx, func(t *tx) error {
		if err := mustExist(t, "model version", "model_version", id); err != nil {
			return err
		}
		_, err := t.ExecContext(t.ctx, `DELETE FROM model_version WHERE id = ?`, id)
		return err
	})
}
