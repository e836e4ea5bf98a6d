package duckdb

import (
	"context"

	"github.com/deardiary/deardiary-go/core"
)

// historyChunk is about how many points one read of a long series takes.
// Sorting a whole series of millions of points at once does not fit ddd's
// DuckDB memory limit while the points are not yet checkpointed (a live run,
// or one replayed after a crash), so a long series is read a range of steps
// at a time, each sorted on its own.
const historyChunk = 100_000

var _ core.HistoryStreamer = (*Store)(nil)

// StreamHistory implements core.HistoryStreamer: every point of the key in
// each iteration, series after series in the order given, each in step
// order, with memory bounded by historyChunk points whatever the length.
func (s *Store) StreamHistory(ctx context.Context, q core.HistoryQuery, each func(iterationID string, p core.Point) error) error {
	if err := core.RequireText("metric key", q.Key); err != nil {
		return err
	}
	if err := s.sync(ctx); err != nil {
		return err
	}
	ids := unique(q.IterationIDs)
	spans, err := s.seriesSpans(ctx, q.Key, ids)
	if err != nil {
		return err
	}
	for _, id := range ids {
		span, ok := spans[id]
		if !ok {
			continue
		}
		err := s.readSeries(ctx, q.Key, id, span, func(p core.Point) error { return each(id, p) })
		if err != nil {
			return err
		}
	}
	return nil
}

// seriesSpans returns the step range and count of each series of key among
// ids that has points.
func (s *Store) seriesSpans(ctx context.Context, key string, ids []string) (map[string]stepSpan, error) {
	spans := map[string]stepSpan{}
	if len(ids) == 0 {
		return spans, nil
	}
	sums, err := s.MetricSummaries(ctx, core.SummaryFilter{IterationIDs: ids})
	if err != nil {
		return nil, err
	}
	for _, m := range sums {
		if m.Key == key && m.Count > 0 {
			spans[m.IterationID] = stepSpan{m.FirstStep, m.LastStep, m.Count}
		}
	}
	return spans, nil
}

// readSeries hands every point of one series to fn in step order, reading
// about historyChunk points at a time: the step range is cut into as many
// equal ranges as the count needs.
func (s *Store) readSeries(ctx context.Context, key, id string, span stepSpan, fn func(core.Point) error) error {
	// Offsets from the first step, unsigned: a series may span more steps
	// than an int64 holds, but no offset within it exceeds the span.
	parts := uint64(span.count/historyChunk + 1)
	width, steps := span.steps()/parts+1, span.steps()
	for from := uint64(0); from <= steps; from += width {
		query := `SELECT step, value, recorded_at FROM metric WHERE iteration_id = ? AND key = ? AND step >= ?`
		args := []any{id, key, int64(uint64(span.lo) + from)}
		if to := from + width; to <= steps && to > from {
			query, args = query+` AND step < ?`, append(args, int64(uint64(span.lo)+to))
		}
		rows, err := s.db.QueryContext(ctx, query+` ORDER BY step, recorded_at, rowid`, args...)
		if err != nil {
			return fold(err)
		}
		for rows.Next() {
			var (
				p  core.Point
				at string
			)
			if err := rows.Scan(&p.Step, &p.Value, &at); err != nil {
				rows.Close()
				return err
			}
			p.RecordedAt = storedTime(at)
			if err := fn(p); err != nil {
				rows.Close()
				return err
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fold(err)
		}
		if from+width < from {
			break // the next offset would wrap: this range ran to the end
		}
	}
	return nil
}
