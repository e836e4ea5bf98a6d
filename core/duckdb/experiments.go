package duckdb

import (
	"context"

	"github.com/deardiary/deardiary-go/core"
)

const experimentColumns = `id, project_id, status_id, name, COALESCE(description, ''), created_date, COALESCE(end_date, '')`

func scanExperiment(r scanner) (*core.Experiment, error) {
	var (
		e            core.Experiment
		created, end string
	)
	if err := r.Scan(&e.ID, &e.ProjectID, &e.Status, &e.Name, &e.Description, &created, &end); err != nil {
		return nil, err
	}
	e.CreatedDate, e.EndDate = storedTime(created), storedTime(end)
	return &e, nil
}

func getExperiment(ctx context.Context, q querier, id string) (*core.Experiment, error) {
	return getOne(ctx, q, scanExperiment, "experiment", id, `SELECT `+experimentColumns+` FROM experiment WHERE id = ?`, id)
}

// GetExperiment implements core.ExperimentService.
func (s *Store) GetExperiment(ctx context.Context, id string) (*core.Experiment, error) {
	return getExperiment(ctx, s.db, id)
}

// ListExperiments implements core.ExperimentService.
func (s *Store) ListExperiments(ctx context.Context, f core.ExperimentFilter) ([]*core.Experiment, int, error) {
	return listPage(ctx, s, scanExperiment, experimentColumns,
		`experiment WHERE project_id = ? AND (? = '' OR name = ?)`, `created_date, id`, f.Page, f.ProjectID, f.Name, f.Name)
}

// CreateExperiment implements core.ExperimentService.
func (s *Store) CreateExperiment(ctx context.Context, in core.ExperimentCreate) (string, error) {
	if err := core.RequireText("experiment name", in.Name); err != nil {
		return "", err
	}
	if err := core.CheckText("description", in.Description); err != nil {
		return "", err
	}
	if in.Status != 0 && in.Status != core.ExperimentInProgress {
		return "", core.Invalid("a new experiment must be IN_PROGRESS, not %v", in.Status)
	}
	id, now := s.ids.next("experiment"), s.nowText()
	err := s.write(ctx, func(t *tx) error {
		if err := requireEntity(t, "project", "project", in.ProjectID); err != nil {
			return err
		}
		_, err := t.ExecContext(t.ctx, `INSERT INTO experiment (id, project_id, status_id, name, description, created_date, end_date)
			VALUES (?, ?, ?, ?, ?, ?, '')`, id, in.ProjectID, int64(core.ExperimentInProgress), in.Name, in.Description, now)
		return err
	})
	if err != nil {
		return "", err
	}
	return id, nil
}

// UpdateExperiment implements core.ExperimentService. A status and an end
// date are each set as given, as upstream; reopening clears the end date.
func (s *Store) UpdateExperiment(ctx context.Context, id string, upd core.ExperimentUpdate) error {
	if upd.Status != nil && !upd.Status.Valid() {
		return core.Invalid("unknown experiment status %d", *upd.Status)
	}
	if upd.Name != nil {
		if err := core.RequireText("experiment name", *upd.Name); err != nil {
			return err
		}
	}
	if upd.Description != nil {
		if err := core.CheckText("description", *upd.Description); err != nil {
			return err
		}
	}
	if upd.EndDate != nil && upd.EndDate.IsZero() {
		upd.EndDate = nil // the zero time means no end date, as for iterations
	}
	return s.write(ctx, func(t *tx) error {
		e, err := getExperiment(t.ctx, t, id)
		if err != nil {
			return err
		}
		var c changes
		if upd.Name != nil {
			c.set("name", *upd.Name)
		}
		if upd.Description != nil {
			c.set("description", *upd.Description)
		}
		end := upd.EndDate
		if upd.Status != nil {
			c.set("status_id", int64(*upd.Status))
			if *upd.Status == core.ExperimentInProgress {
				end = nil
				if !e.EndDate.IsZero() {
					c.set("end_date", "")
				}
			}
		}
		if end != nil {
			c.set("end_date", core.FormatTime(*end))
		}
		return c.apply(t.ctx, t, "experiment", id)
	})
}

// DeleteExperiment implements core.ExperimentService.
func (s *Store) DeleteExperiment(ctx context.Context, id string) error {
	return s.write(ctx, func(t *tx) error {
		if err := mustExist(t, "experiment", "experiment", id); err != nil {
			return err
		}
		return deleteExperiments(t, "id = ?", id)
	})
}

// openExperiment checks that an experiment exists and accepts new iterations
// and resources.
func openExperiment(t *tx, id string) error {
	var status core.ExperimentStatus
	err := t.QueryRowContext(t.ctx, `SELECT status_id FROM experiment WHERE id = ?`, id).Scan(&status)
	switch {
	case noRow(err):
		return core.Invalid("experiment %q not found", id)
	case err != nil:
		return err
	case status != core.ExperimentInProgress:
		return core.Invalid("experiment %q is %v; only IN_PROGRESS experiments take new iterations and resources", id, status)
	}
	return nil
}
