package postgres

import (
	"context"

	"github.com/deardiary/deardiary-go/core"
)

const parameterColumns = `id, iteration_id, key, value`

func scanParameter(r scanner) (*core.Parameter, error) {
	var p core.Parameter
	if err := r.Scan(&p.ID, &p.IterationID, &p.Key, &p.Value); err != nil {
		return nil, err
	}
	return &p, nil
}

func getParameter(ctx context.Context, q querier, id string) (*core.Parameter, error) {
	return getOne(ctx, q, scanParameter, "parameter", id, `SELECT `+parameterColumns+` FROM parameter WHERE id = $1`, id)
}

// GetParameter implements core.ParameterService.
func (s *Store) GetParameter(ctx context.Context, id string) (*core.Parameter, error) {
	return getParameter(ctx, s.pool, id)
}

// ListParameters implements core.ParameterService, in logging order (ids
// are time-ordered).
func (s *Store) ListParameters(ctx context.Context, f core.ParameterFilter) ([]*core.Parameter, int, error) {
	if !storable(f.IterationID) || !storable(f.ExperimentID) {
		return []*core.Parameter{}, 0, nil
	}
	if f.ExperimentID != "" && f.IterationID == "" {
		return listPage(ctx, s.pool, scanParameter, parameterColumns,
			`parameter WHERE iteration_id IN (SELECT id FROM iteration WHERE experiment_id = $1)`, `id`, f.Page, f.ExperimentID)
	}
	return listPage(ctx, s.pool, scanParameter, parameterColumns, `parameter WHERE iteration_id = $1`, `id`, f.Page, f.IterationID)
}

// CreateParameter implements core.ParameterService.
func (s *Store) CreateParameter(ctx context.Context, iterationID, key string, value any) (string, error) {
	if err := core.RequireText("parameter key", key); err != nil {
		return "", err
	}
	text, err := core.FormatParamValue(value)
	if err != nil {
		return "", err
	}
	if err := core.CheckText("parameter value", text); err != nil {
		return "", err
	}
	id := newID()
	err = s.write(ctx, func(t *tx) error {
		if err := runningIteration(t, iterationID, invalidRef); err != nil {
			return err
		}
		_, err := t.Exec(t.ctx, `INSERT INTO parameter (id, iteration_id, key, value) VALUES ($1, $2, $3, $4)`, id, iterationID, key, text)
		return err
	})
	if err != nil {
		return "", err
	}
	return id, nil
}

// changeableParameter checks that a parameter exists and its iteration is
// still running, and holds the iteration so.
func changeableParameter(t *tx, id string) error {
	p, err := getParameter(t.ctx, t, id)
	if err != nil {
		return err
	}
	return runningIteration(t, p.IterationID, invalidRef)
}

// UpdateParameter implements core.ParameterService.
func (s *Store) UpdateParameter(ctx context.Context, id string, upd core.ParameterUpdate) error {
	var c changes
	if upd.Key != nil {
		if err := core.RequireText("parameter key", *upd.Key); err != nil {
			return err
		}
		c.set("key", *upd.Key)
	}
	if upd.Value != nil {
		text, err := core.FormatParamValue(upd.Value)
		if err != nil {
			return err
		}
		if err := core.CheckText("parameter value", text); err != nil {
			return err
		}
		c.set("value", text)
	}
	return s.write(ctx, func(t *tx) error {
		if err := changeableParameter(t, id); err != nil {
			return err
		}
		return c.apply(t, "parameter", id)
	})
}

// DeleteParameter implements core.ParameterService.
func (s *Store) DeleteParameter(ctx context.Context, id string) error {
	return s.write(ctx, func(t *tx) error {
		if err := changeableParameter(t, id); err != nil {
			return err
		}
		return deleteByID(t, "parameter", "parameter", id)
	})
}
