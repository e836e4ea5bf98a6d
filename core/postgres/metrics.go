package postgres

import (
	"context"
	"math"

	"github.com/deardiary/deardiary-go/core"
)

const metricList = `id, iteration_id, key, value, step, recorded_at`

func scanMetric(r scanner) (*core.Metric, error) {
	var (
		m  core.Metric
		at string
	)
	if err := r.Scan(&m.ID, &m.IterationID, &m.Key, &m.Value, &m.Step, &at); err != nil {
		return nil, err
	}
	m.RecordedAt = storedTime(at)
	return &m, nil
}

func getMetric(ctx context.Context, q querier, id string) (*core.Metric, error) {
	return getOne(ctx, q, scanMetric, "metric", id, `SELECT `+metricList+` FROM metric WHERE id = $1`, id)
}

// GetMetric implements core.MetricService.
func (s *Store) GetMetric(ctx context.Context, id string) (*core.Metric, error) {
	return getMetric(ctx, s.pool, id)
}

// ListMetrics implements core.MetricService: by step, then time, then
// logging order.
func (s *Store) ListMetrics(ctx context.Context, f core.MetricFilter) ([]*core.Metric, int, error) {
	if !storable(f.IterationID) || !storable(f.Key) {
		return []*core.Metric{}, 0, nil
	}
	if f.Key != "" {
		return listPage(ctx, s.pool, scanMetric, metricList, `metric WHERE iteration_id = $1 AND key = $2`,
			`step, recorded_at, id`, f.Page, f.IterationID, f.Key)
	}
	return listPage(ctx, s.pool, scanMetric, metricList, `metric WHERE iteration_id = $1`,
		`step, recorded_at, id`, f.Page, f.IterationID)
}

func checkMetric(key string, value float64) error {
	if err := core.RequireText("metric key", key); err != nil {
		return err
	}
	if math.IsNaN(value) || math.IsInf(value, 0) {
		return core.Invalid("metric %q: value %v is not a finite number", key, value)
	}
	return nil
}

// LogMetric implements core.MetricService.
func (s *Store) LogMetric(ctx context.Context, iterationID string, m core.MetricInput) (string, error) {
	ids, err := s.LogMetrics(ctx, iterationID, core.MetricBatch{Metrics: []core.MetricInput{m}})
	if err != nil {
		return "", err
	}
	return ids[0], nil
}

// LogMetrics implements core.MetricService. A few points join the group
// commit; a batch is a transaction of its own, its points sent with COPY.
func (s *Store) LogMetrics(ctx context.Context, iterationID string, b core.MetricBatch) ([]string, error) {
	set, ids, err := s.preparePoints(iterationID, b)
	if err != nil {
		return nil, err
	}
	if len(set.rows) == 0 {
		// Nothing to write, but the iteration must still take points.
		err = s.write(ctx, func(t *tx) error { return runningIteration(t, iterationID, invalidRef) })
	} else if len(set.rows) <= groupable && s.points != nil {
		err = s.points.do(ctx, set)
	} else {
		err = s.write(ctx, func(t *tx) error { return writeOne(t, set) })
	}
	if err != nil {
		return nil, err
	}
	return ids, nil
}

// writeOne writes one set of points in t, failing with its refusal.
func writeOne(t *tx, set pointSet) error {
	refused, err := writePoints(t, []pointSet{set}, invalidRef)
	if err != nil {
		return err
	}
	return refused[0]
}

// preparePoints checks points and gives them ids and timestamps before any
// transaction starts; a transaction only numbers and writes them.
func (s *Store) preparePoints(iterationID string, b core.MetricBatch) (pointSet, []string, error) {
	// A zero time, like nil, means now: storage has no place for it.
	now := core.FormatTime(s.now())
	if b.RecordedAt != nil && !b.RecordedAt.IsZero() {
		now = core.FormatTime(*b.RecordedAt)
	}
	set := pointSet{iteration: iterationID, rows: make([]metricRow, len(b.Metrics))}
	ids := make([]string, len(b.Metrics))
	for i, m := range b.Metrics {
		if err := checkMetric(m.Key, m.Value); err != nil {
			return set, nil, err
		}
		ids[i] = newID()
		r := metricRow{id: ids[i], iterationID: iterationID, key: m.Key, value: m.Value, recordedAt: now}
		switch {
		case m.Step != nil:
			r.step = *m.Step
		case b.Step != nil:
			r.step = *b.Step
		default:
			r.auto = true
		}
		if m.RecordedAt != nil && !m.RecordedAt.IsZero() {
			r.recordedAt = core.FormatTime(*m.RecordedAt)
		}
		set.rows[i] = r
	}
	return set, ids, nil
}

// LogBatch implements core.MetricService.
func (s *Store) LogBatch(ctx context.Context, iterationID string, b core.Batch) (*core.BatchResult, error) {
	res := &core.BatchResult{ParameterIDs: make([]string, len(b.Params)), TagIDs: make([]string, len(b.Tags))}
	values := make([]string, len(b.Params))
	keys := make(map[string]bool, len(b.Params))
	for i, p := range b.Params {
		if err := core.RequireText("parameter key", p.Key); err != nil {
			return nil, err
		}
		if keys[p.Key] {
			return nil, core.Invalid("parameter %q is given twice in the batch", p.Key)
		}
		keys[p.Key] = true
		text, err := core.FormatParamValue(p.Value)
		if err == nil {
			err = core.CheckText("value", text)
		}
		if err != nil {
			return nil, core.Invalid("parameter %q: %s", p.Key, core.ErrorMessage(err))
		}
		values[i], res.ParameterIDs[i] = text, newID()
	}
	for _, tag := range b.Tags {
		if err := core.RequireText("tag", tag); err != nil {
			return nil, err
		}
	}
	set, ids, err := s.preparePoints(iterationID, b.Metrics)
	if err != nil {
		return nil, err
	}
	res.MetricIDs = ids
	err = s.write(ctx, func(t *tx) error {
		if err := runningIteration(t, iterationID, invalidRef); err != nil {
			return err
		}
		if len(b.Params) > 0 {
			iterations := make([]string, len(b.Params))
			keys := make([]string, len(b.Params))
			for i, p := range b.Params {
				iterations[i], keys[i] = iterationID, p.Key
			}
			if _, err := t.Exec(t.ctx, `INSERT INTO parameter (id, iteration_id, key, value)
				SELECT * FROM unnest($1::VARCHAR[], $2::VARCHAR[], $3::TEXT[], $4::TEXT[])`,
				res.ParameterIDs, iterations, keys, values); err != nil {
				return err
			}
		}
		for i, tag := range b.Tags {
			id, err := attachTag(t, core.KindIteration, iterationID, tag, true)
			if err != nil {
				return err
			}
			res.TagIDs[i] = id
		}
		if len(set.rows) == 0 {
			return nil
		}
		return writeOne(t, set)
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// changeableMetric returns a metric point whose iteration is still running,
// with the iteration locked so and then the point locked: in the order a
// delete of the iteration takes them, so the two cannot deadlock.
func changeableMetric(t *tx, id string) (*core.Metric, error) {
	m, err := getMetric(t.ctx, t, id)
	if err != nil {
		return nil, err
	}
	if err := runningIteration(t, m.IterationID, invalidRef); err != nil {
		return nil, err
	}
	return getOne(t.ctx, t, scanMetric, "metric", id, `SELECT `+metricList+` FROM metric WHERE id = $1 FOR UPDATE`, id)
}

// UpdateMetric implements core.MetricService.
func (s *Store) UpdateMetric(ctx context.Context, id string, upd core.MetricUpdate) error {
	var c changes
	if upd.Key != nil {
		if err := core.RequireText("metric key", *upd.Key); err != nil {
			return err
		}
		c.set("key", *upd.Key)
	}
	if upd.Value != nil {
		if err := checkMetric("value", *upd.Value); err != nil {
			return err
		}
		c.set("value", *upd.Value)
	}
	if upd.Step != nil {
		c.set("step", *upd.Step)
	}
	if upd.RecordedAt != nil && !upd.RecordedAt.IsZero() {
		c.set("recorded_at", core.FormatTime(*upd.RecordedAt))
	}
	return s.write(ctx, func(t *tx) error {
		m, err := changeableMetric(t, id)
		if err != nil || c.empty() {
			return err
		}
		series := []seriesKey{{m.IterationID, m.Key}}
		if upd.Key != nil && *upd.Key != m.Key {
			series = append(series, seriesKey{m.IterationID, *upd.Key})
		}
		if _, err := lockSeries(t, series); err != nil {
			return err
		}
		if err := c.apply(t, "metric", id); err != nil {
			return err
		}
		return resummarise(t, series)
	})
}

// DeleteMetric implements core.MetricService.
func (s *Store) DeleteMetric(ctx context.Context, id string) error {
	return s.write(ctx, func(t *tx) error {
		m, err := changeableMetric(t, id)
		if err != nil {
			return err
		}
		series := []seriesKey{{m.IterationID, m.Key}}
		if _, err := lockSeries(t, series); err != nil {
			return err
		}
		if err := deleteByID(t, "metric", "metric", id); err != nil {
			return err
		}
		return resummarise(t, series)
	})
}
