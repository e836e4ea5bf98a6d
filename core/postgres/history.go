package postgres

import (
	"context"
	"maps"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/deardiary/deardiary-go/core"
)

// MetricHistory implements core.MetricService. A series short enough is
// read whole. A longer one, when MaxPoints asks for a chart, is reduced in
// the database to the first, last, lowest and highest point of each of
// MaxPoints equal step ranges (M4: every pixel a line chart of that width
// would light), so a million-point run sends a few thousand rows; core's
// LTTB then picks among them.
func (s *Store) MetricHistory(ctx context.Context, q core.HistoryQuery) ([]core.Series, error) {
	if err := core.RequireText("metric key", q.Key); err != nil {
		return nil, err
	}
	ids := unique(q.IterationIDs)
	// Fewer than three points still reduce a long series in the database
	// first, to three a range; Downsample then keeps what was asked.
	reduce := q.MaxPoints
	if reduce > 0 && reduce < 3 {
		reduce = 3
	}
	long := map[string]stepSpan{}
	if reduce > 0 {
		var err error
		if long, err = s.longSeries(ctx, q.Key, ids, reduce); err != nil {
			return nil, err
		}
	}
	var whole []string
	for _, id := range ids {
		if _, ok := long[id]; !ok {
			whole = append(whole, id)
		}
	}
	bySeries := map[string][]core.Point{}
	if len(whole) > 0 {
		rows, err := s.pool.Query(ctx, `SELECT iteration_id, step, value, recorded_at FROM metric
			WHERE key = $1 AND iteration_id = ANY($2) ORDER BY iteration_id, step, recorded_at, id`, q.Key, whole)
		if err != nil {
			return nil, fold(err)
		}
		if err := scanPoints(rows, bySeries, true); err != nil {
			return nil, err
		}
	}
	if len(long) > 0 {
		if err := s.bucketExtremes(ctx, q.Key, long, reduce, bySeries); err != nil {
			return nil, err
		}
	}
	out := []core.Series{}
	for _, id := range ids {
		if points, ok := bySeries[id]; ok {
			out = append(out, core.Series{IterationID: id, Key: q.Key, Points: core.Downsample(points, q.MaxPoints)})
		}
	}
	return out, nil
}

var _ core.HistoryStreamer = (*Store)(nil)

// StreamHistory implements core.HistoryStreamer: every point of the key in
// each iteration, series after series in the order given, each in step
// order. The rows come off the connection as fn takes them, so memory does
// not grow with the series; the connection is held meanwhile.
func (s *Store) StreamHistory(ctx context.Context, q core.HistoryQuery, fn func(iterationID string, p core.Point) error) error {
	if err := core.RequireText("metric key", q.Key); err != nil {
		return err
	}
	for _, id := range unique(q.IterationIDs) {
		rows, err := s.pool.Query(ctx, `SELECT step, value, recorded_at FROM metric
			WHERE iteration_id = $1 AND key = $2 ORDER BY step, recorded_at, id`, id, q.Key)
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
			if err := fn(id, p); err != nil {
				rows.Close()
				return err
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fold(err)
		}
	}
	return nil
}

// unique returns the storable ids without repeats, in first-seen order.
func unique(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if !seen[id] && storable(id) {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// scanPoints appends rows of (iteration_id, step, value[, recorded_at]) to
// their series, in the order read.
func scanPoints(rows pgx.Rows, bySeries map[string][]core.Point, withTime bool) error {
	defer rows.Close()
	for rows.Next() {
		var (
			id string
			p  core.Point
			at string
		)
		dest := []any{&id, &p.Step, &p.Value}
		if withTime {
			dest = append(dest, &at)
		}
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		p.RecordedAt = storedTime(at)
		bySeries[id] = append(bySeries[id], p)
	}
	return fold(rows.Err())
}

// wholeSeriesFactor decides which series MetricHistory reads whole: those of
// at most this many times the points asked for.
const wholeSeriesFactor = 8

// stepSpan is the step range of one long series.
type stepSpan struct{ lo, hi int64 }

// steps is hi - lo, taken unsigned: steps may span more than an int64 holds.
func (s stepSpan) steps() uint64 { return uint64(s.hi) - uint64(s.lo) }

// width is the steps in each of n >= 2 equal ranges of the span; it fits an
// int64 even when the span does not.
func (s stepSpan) width(n int) int64 { return int64(s.steps()/uint64(n) + 1) }

// longSeries returns the step ranges of the series in ids too long to read
// whole for a chart of maxPoints, from their summaries.
func (s *Store) longSeries(ctx context.Context, key string, ids []string, maxPoints int) (map[string]stepSpan, error) {
	rows, err := s.pool.Query(ctx, `SELECT iteration_id, first_step, last_step FROM metric_summary
		WHERE key = $1 AND iteration_id = ANY($2) AND count > $3`, key, ids, int64(wholeSeriesFactor*maxPoints))
	if err != nil {
		return nil, fold(err)
	}
	defer rows.Close()
	long := map[string]stepSpan{}
	for rows.Next() {
		var (
			id   string
			span stepSpan
		)
		if err := rows.Scan(&id, &span.lo, &span.hi); err != nil {
			return nil, err
		}
		long[id] = span
	}
	return long, fold(rows.Err())
}

// bucketExtremes reduces each long series to the M4 points of maxPoints
// equal step ranges: the first and last point of each range, and the first
// to reach its lowest and its highest value. Points come out by step,
// without their recording times, which a chart never reads.
func (s *Store) bucketExtremes(ctx context.Context, key string, long map[string]stepSpan, maxPoints int, bySeries map[string][]core.Point) error {
	var exact, huge []string
	for _, id := range slices.Sorted(maps.Keys(long)) {
		if span := long[id]; span.lo >= -maxExactStep && span.hi <= maxExactStep {
			exact = append(exact, id)
		} else {
			huge = append(huge, id)
		}
	}
	for _, q := range []struct {
		ids   []string
		query string
	}{{exact, m4ByAggregates}, {huge, m4ByWindows}} {
		if len(q.ids) == 0 {
			continue
		}
		los, widths := make([]int64, len(q.ids)), make([]int64, len(q.ids))
		for i, id := range q.ids {
			los[i], widths[i] = long[id].lo, long[id].width(maxPoints)
		}
		rows, err := s.pool.Query(ctx, q.query, key, q.ids, los, widths)
		if err != nil {
			return fold(err)
		}
		if err := scanPoints(rows, bySeries, false); err != nil {
			return err
		}
	}
	return nil
}

// maxExactStep is the largest step a DOUBLE PRECISION holds exactly (2^53).
const maxExactStep = 1 << 53

// m4ByAggregates selects the M4 points of the series of key ($1) whose
// ids, first steps and range widths are the arrays $2, $3 and $4, with one
// hash aggregation per series over its index in step order. The minimum of
// [step, value] is the first point of a range, the maximum of [value,
// -step] the first to reach its highest value, and so on: PostgreSQL
// compares arrays element by element, and has no arg_min. Steps travel as
// doubles, so every step of the series must lie within ±2^53.
const m4ByAggregates = `SELECT iteration_id, step, value FROM (
		SELECT r.iteration_id, g.first, g.last, g.low, g.high
		FROM unnest($2::VARCHAR[], $3::BIGINT[], $4::BIGINT[]) AS r(iteration_id, lo, width)
		CROSS JOIN LATERAL (
			SELECT min(ARRAY[m.step::DOUBLE PRECISION, m.value]) AS first, max(ARRAY[m.step::DOUBLE PRECISION, m.value]) AS last,
				min(ARRAY[m.value, m.step::DOUBLE PRECISION]) AS low, max(ARRAY[m.value, -m.step::DOUBLE PRECISION]) AS high
			FROM metric m WHERE m.iteration_id = r.iteration_id AND m.key = $1
			GROUP BY (m.step - r.lo) / r.width) g
	) b, LATERAL (VALUES (first[1]::BIGINT, first[2]), (last[1]::BIGINT, last[2]),
		(low[2]::BIGINT, low[1]), ((-high[2])::BIGINT, high[1])) AS p(step, value)
	GROUP BY iteration_id, step, value
	ORDER BY iteration_id, step, value`

// m4ByWindows selects the same points as m4ByAggregates for series whose
// steps a double cannot hold, exactly and about twice as slowly: in one
// pass over each range in step order, window functions over the range find
// its first and last point and its extremes, and those over the points
// before one tell whether it is the first to reach them. A step's offset
// from its series' first is NUMERIC, as it may pass what a BIGINT holds.
const m4ByWindows = `SELECT iteration_id, step, value FROM (
		SELECT m.iteration_id, m.step, m.value,
			row_number() OVER w AS n, count(*) OVER whole AS total,
			min(m.value) OVER whole AS lo, max(m.value) OVER whole AS hi,
			min(m.value) OVER before AS lo_before, max(m.value) OVER before AS hi_before
		FROM unnest($2::VARCHAR[], $3::BIGINT[], $4::BIGINT[]) AS r(iteration_id, lo, width)
		JOIN metric m ON m.iteration_id = r.iteration_id AND m.key = $1
		WINDOW w AS (PARTITION BY m.iteration_id, div(m.step::NUMERIC - r.lo, r.width) ORDER BY m.step),
			whole AS (w ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING),
			before AS (w ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
	) b
	WHERE n = 1 OR n = total
		OR (value = lo AND (lo_before IS NULL OR lo_before > lo))
		OR (value = hi AND (hi_before IS NULL OR hi_before < hi))
	ORDER BY iteration_id, step, value`
