package duckdb

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
	return getOne(ctx, q, scanParameter, "parameter", id, `SELECT `+parameterColumns+` FROM parameter WHERE id = ?`, id)
}

// GetParameter implements core.ParameterService.
func (s *Store) GetParameter(ctx context.Context, id string) (*core.Parameter, error) {
	return getParameter(ctx, s.db, id)
}

// ListParameters implements core.ParameterService.
func (s *Store) ListParameters(ctx context.Context, f core.ParameterFilter) ([]*core.Parameter, int, error) {
	if f.ExperimentID != "" && f.IterationID == "" {
		return listPage(ctx, s, scanParameter, parameterColumns,
			`parameter WHERE iteration_id IN (SELECT id FROM iteration WHERE experiment_id = ?)`, `rowid`, f.Page, f.ExperimentID)
	}
	return listPage(ctx, s, scanParameter, parameterColumns, `parameter WHERE iteration_id = ?`, `rowid`, f.Page, f.IterationID)
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
	id := s.ids.next("parameter")
	err = s.write(ctx, func(t *tx) error {
		if _, err := runningIteration(t, iterationID, invalidRef); err != nil {
			return err
		}
		_, err := t.ExecContext(t.ctx, `INSERT INTO parameter (id, iteration_id, key, value) VALUES (?, ?, ?, ?)`, id, iterationID, key, text)
		return err
	})
	if err != nil {
		return "", err
	}
	return id, nil
}

// changeableParameter checks that a parameter exists and its iteration is
// still running.
func changeableParameter(t *tx, id string) error {
	p, err := getParameter(t.ctx, t, id)
	if err != nil {
		return err
	}
	_, err = runningIteration(t, p.IterationID, invalidRef)
	return err
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
		c.set("value", text)
	}
	return s.write(ctx, func(t *tx) error {
		if err := changeableParameter(t, id); err != nil {
			return err
		}
		return c.apply(t.ctx, t, "parameter", id)
	})
}

// DeleteParameter implements core.ParameterService.
func (s *Store) DeleteParameter(ctx context.Context, id string) error {
	return s.write(ctx, func(t *tx) error {
		if err := changeableParameter(t, id); err != nil {
			return err
		}
		_, err := t.ExecContext(t.ctx, `DELETE FROM parameter WHERE id = ?`, id)
		return err
	})
}
