package postgres

import (
	"context"
	"slices"

	"github.com/deardiary/deardiary-go/core"
)

// MetricSummaries implements core.MetricService, from metric_summary,
// which every write of points keeps current in its own transaction.
func (s *Store) MetricSummaries(ctx context.Context, f core.SummaryFilter) ([]core.MetricSummary, error) {
	if f.ExperimentID == "" && len(f.IterationIDs) == 0 {
		return nil, core.Invalid("name an experiment or iterations to summarise")
	}
	const columns = `SELECT iteration_id, key, last_value, first_step, last_step, min_value, max_value, count FROM metric_summary`
	var (
		query string
		args  []any
	)
	switch {
	case !storable(f.ExperimentID):
		return []core.MetricSummary{}, nil
	case len(f.IterationIDs) == 0:
		query, args = columns+` WHERE iteration_id IN (SELECT id FROM iteration WHERE experiment_id = $1)`, []any{f.ExperimentID}
	default:
		ids := slices.DeleteFunc(slices.Clone(f.IterationIDs), func(id string) bool { return !storable(id) })
		query, args = columns+` WHERE iteration_id = ANY($1)`, []any{ids}
		if f.ExperimentID != "" {
			query += ` AND iteration_id IN (SELECT id FROM iteration WHERE experiment_id = $2)`
			args = append(args, f.ExperimentID)
		}
	}
	rows, err := s.pool.Query(ctx, query+` AND count > 0 ORDER BY iteration_id, key`, args...)
	if err != nil {
		return nil, fold(err)
	}
	defer rows.Close()
	out := []core.MetricSummary{}
	for rows.Next() {
		var m core.MetricSummary
		if err := rows.Scan(&m.IterationID, &m.Key, &m.Last, &m.FirstStep, &m.LastStep, &m.Min, &m.Max, &m.Count); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, fold(rows.Err())
}

// resummarise recomputes the summaries of series whose points changed in
// place (an update or a delete), from the points: the index on (iteration,
// key, step) gives the last point without a sort. A series left without
// points loses its row, so its next automatic step is 0 again. The caller
// holds the rows' locks (lockSeries).
func resummarise(t *tx, series []seriesKey) error {
	for _, k := range series {
		if _, err := t.Exec(t.ctx, `UPDATE metric_summary s SET count = a.n, min_value = a.lo, max_value = a.hi,
				first_step = a.first, last_step = l.step, last_value = l.value, last_recorded_at = l.recorded_at
			FROM (SELECT count(*) AS n, min(value) AS lo, max(value) AS hi, min(step) AS first
				FROM metric WHERE iteration_id = $1 AND key = $2) a
			LEFT JOIN LATERAL (SELECT step, value, recorded_at FROM metric WHERE iteration_id = $1 AND key = $2
				ORDER BY step DESC, recorded_at DESC, id DESC LIMIT 1) l ON true
			WHERE s.iteration_id = $1 AND s.key = $2`, k.iteration, k.key); err != nil {
			return err
		}
		if _, err := t.Exec(t.ctx, `DELETE FROM metric_summary WHERE iteration_id = $1 AND key = $2 AND count = 0`, k.iteration, k.key); err != nil {
			return err
		}
	}
	return nil
}
