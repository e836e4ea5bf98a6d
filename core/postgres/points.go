package postgres

import (
	"cmp"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/deardiary/deardiary-go/core"
)

// How a transaction writes points: every one of them, from a single LogMetric
// to a batch of a million, and a group of many callers' points alike.
//
//  1. The iterations are locked for share (lockIterations): none can end or
//     be deleted until the points commit, and points for one that has are
//     refused before anything is written.
//  2. The series that take automatic steps have their summary rows locked,
//     created if new (lockSeries). The row holds the series' largest step,
//     so the points are numbered from it, and the lock makes every other
//     transaction numbering that series, in any process, wait for this one
//     to commit or roll back: steps neither repeat nor skip.
//  3. The points go in with COPY, or, for a few, one INSERT from arrays.
//  4. Each series' summary row takes the points' count, extremes and last
//     point in one upsert (mergeSummaries).
//
// Locks are taken in id and key order, so two transactions that touch the
// same iterations and series never wait for each other in a circle.

type metricRow struct {
	id, iterationID, key string
	value                float64
	step                 int64
	recordedAt           string
	auto                 bool // the step is the series' next
}

type seriesKey struct{ iteration, key string }

func compareSeries(a, b seriesKey) int {
	return cmp.Or(strings.Compare(a.iteration, b.iteration), strings.Compare(a.key, b.key))
}

// pointSet is one caller's points: a LogMetric, LogMetrics or the metrics of
// a LogBatch, all of one iteration.
type pointSet struct {
	iteration string
	rows      []metricRow
}

// copyFrom is the number of points from which COPY beats an INSERT from
// arrays: COPY pays a round trip more, and wins on rows.
const copyFrom = 256

// writePoints writes the sets in one transaction. A set refused on its own
// account (its iteration is missing or has ended, a step would pass the
// largest) is left out and its error returned in refused, by index; the
// others are written. err is a failure of the transaction itself.
func writePoints(t *tx, sets []pointSet, missing func(kind, id string) *core.Error) (refused map[int]error, err error) {
	refused = map[int]error{}
	ids := make([]string, 0, len(sets))
	for _, set := range sets {
		ids = append(ids, set.iteration)
	}
	ended, err := lockIterations(t, ids)
	if err != nil {
		return nil, err
	}
	var auto []seriesKey
	for i, set := range sets {
		state, ok := ended[set.iteration]
		switch {
		case !ok:
			refused[i] = missing("iteration", set.iteration)
		case state:
			refused[i] = core.Locked(set.iteration)
		default:
			for _, r := range set.rows {
				if r.auto {
					auto = append(auto, seriesKey{r.iterationID, r.key})
				}
			}
		}
	}
	last, err := lockSeries(t, auto)
	if err != nil {
		return nil, err
	}
	var (
		rows       []metricRow
		overflowed bool
	)
	for i, set := range sets {
		if refused[i] != nil {
			continue
		}
		numbered, err := numberSteps(set.rows, last)
		if err != nil {
			refused[i], overflowed = err, true
			continue
		}
		rows = append(rows, numbered...)
	}
	if len(rows) > 0 {
		if err := writeRows(t, rows); err != nil {
			return nil, err
		}
	}
	if overflowed {
		// The refused set may have made rows for new series beside the
		// one it could not number; none may outlive the transaction empty.
		iterations, keys := seriesArrays(auto)
		if _, err := t.Exec(t.ctx, `DELETE FROM metric_summary s USING unnest($1::VARCHAR[], $2::TEXT[]) AS u(i, k)
			WHERE s.iteration_id = u.i AND s.key = u.k AND s.count = 0`, iterations, keys); err != nil {
			return nil, err
		}
	}
	return refused, nil
}

// writeRows writes numbered points and adds them to their summaries.
func writeRows(t *tx, rows []metricRow) error {
	merge, mergeArgs := mergeSummaries(rows)
	if len(rows) >= copyFrom {
		if err := copyPoints(t, rows); err != nil {
			return err
		}
		_, err := t.Exec(t.ctx, merge, mergeArgs...)
		return err
	}
	// A few points and their summaries go in one round trip.
	insert, insertArgs := insertPoints(rows)
	b := &pgx.Batch{}
	b.Queue(insert, insertArgs...)
	b.Queue(merge, mergeArgs...)
	return t.SendBatch(t.ctx, b).Close()
}

func seriesArrays(series []seriesKey) (iterations, keys []string) {
	iterations, keys = make([]string, len(series)), make([]string, len(series))
	for i, k := range series {
		iterations[i], keys[i] = k.iteration, k.key
	}
	return iterations, keys
}

// lockIterations locks the iterations for share and tells, for each that
// exists, whether it has ended.
func lockIterations(t *tx, ids []string) (map[string]bool, error) {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	ids = slices.DeleteFunc(ids, func(id string) bool { return !storable(id) })
	ended := make(map[string]bool, len(ids))
	if len(ids) == 0 {
		return ended, nil
	}
	rows, err := t.Query(t.ctx, `SELECT id, COALESCE(end_date, '') <> '' FROM iteration WHERE id = ANY($1) ORDER BY id FOR SHARE`, ids)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id string
			e  bool
		)
		if err := rows.Scan(&id, &e); err != nil {
			return nil, err
		}
		ended[id] = e
	}
	return ended, rows.Err()
}

// noStep marks a series without points in lockSeries' answer.
const noStep = math.MinInt64

// lockSeries locks the summary rows of the series, creating those that are
// new, and returns each one's largest step (noStep for none).
func lockSeries(t *tx, series []seriesKey) (map[seriesKey]int64, error) {
	last := map[seriesKey]int64{}
	if len(series) == 0 {
		return last, nil
	}
	slices.SortFunc(series, compareSeries)
	series = slices.Compact(series)
	iterations, keys := seriesArrays(series)
	// The no-op update locks an existing row; a new row is locked by its
	// insertion. Either way RETURNING gives the row as it stands once any
	// transaction that held it has finished.
	rows, err := t.Query(t.ctx, `INSERT INTO metric_summary AS s (iteration_id, key, count)
		SELECT i, k, 0 FROM unnest($1::VARCHAR[], $2::TEXT[]) WITH ORDINALITY AS u(i, k, n) ORDER BY n
		ON CONFLICT (iteration_id, key) DO UPDATE SET count = s.count
		RETURNING iteration_id, key, COALESCE(last_step, $3)`, iterations, keys, int64(noStep))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			k    seriesKey
			step int64
		)
		if err := rows.Scan(&k.iteration, &k.key, &step); err != nil {
			return nil, err
		}
		last[k] = step
	}
	return last, rows.Err()
}

// numberSteps gives the automatic points of rows their steps, in order,
// from last (the largest step of each locked series), which it advances. A
// set whose steps would pass the largest there is changes nothing.
func numberSteps(rows []metricRow, last map[seriesKey]int64) ([]metricRow, error) {
	mine := map[seriesKey]int64{}
	for i, r := range rows {
		k := seriesKey{r.iterationID, r.key}
		step, ok := mine[k]
		if !ok {
			step, ok = last[k]
			if !ok { // a series without automatic points is not locked, nor needs to be
				continue
			}
		}
		if r.auto {
			switch step {
			case noStep:
				step = 0
			case math.MaxInt64:
				return nil, core.Invalid("metric %q already has the largest step there is (%d): give this point's step explicitly", r.key, step)
			default:
				step++
			}
			rows[i].step = step
		} else if r.step > step {
			step = r.step
		}
		mine[k] = step
	}
	maps.Copy(last, mine)
	return rows, nil
}

var metricColumns = []string{"id", "iteration_id", "key", "value", "step", "recorded_at"}

// copyPoints writes rows to metric with COPY.
func copyPoints(t *tx, rows []metricRow) error {
	_, err := t.CopyFrom(t.ctx, pgx.Identifier{"metric"}, metricColumns, pgx.CopyFromSlice(len(rows), func(i int) ([]any, error) {
		r := &rows[i]
		return []any{r.id, r.iterationID, r.key, r.value, r.step, r.recordedAt}, nil
	}))
	return err
}

// insertPoints is the statement that writes a few rows to metric, from
// arrays.
func insertPoints(rows []metricRow) (string, []any) {
	var (
		ids, iterations, keys, recorded = make([]string, len(rows)), make([]string, len(rows)), make([]string, len(rows)), make([]string, len(rows))
		values                          = make([]float64, len(rows))
		steps                           = make([]int64, len(rows))
	)
	for i, r := range rows {
		ids[i], iterations[i], keys[i], values[i], steps[i], recorded[i] = r.id, r.iterationID, r.key, r.value, r.step, r.recordedAt
	}
	return `INSERT INTO metric (id, iteration_id, key, value, step, recorded_at)
		SELECT * FROM unnest($1::VARCHAR[], $2::VARCHAR[], $3::TEXT[], $4::DOUBLE PRECISION[], $5::BIGINT[], $6::TEXT[])`,
		[]any{ids, iterations, keys, values, steps, recorded}
}

// seriesDelta is what some points add to a series' summary.
type seriesDelta struct {
	count               int64
	min, max, last      float64
	firstStep, lastStep int64
	lastRecordedAt      string
}

// add adds a point that came after d's: a later point wins a tie for last.
func (d *seriesDelta) add(r metricRow) {
	if d.count == 0 {
		*d = seriesDelta{count: 1, min: r.value, max: r.value, last: r.value, firstStep: r.step, lastStep: r.step, lastRecordedAt: r.recordedAt}
		return
	}
	d.count++
	d.min, d.max, d.firstStep = min(d.min, r.value), max(d.max, r.value), min(d.firstStep, r.step)
	if r.step > d.lastStep || (r.step == d.lastStep && r.recordedAt >= d.lastRecordedAt) {
		d.last, d.lastStep, d.lastRecordedAt = r.value, r.step, r.recordedAt
	}
}

// mergeSummaries is the upsert that adds the points to their series'
// summary rows, all in one statement. The row's "last" changes when the new
// last point is at a larger step, or at the same step and a time as late or
// later.
func mergeSummaries(rows []metricRow) (string, []any) {
	deltas := map[seriesKey]*seriesDelta{}
	for _, r := range rows {
		k := seriesKey{r.iterationID, r.key}
		d := deltas[k]
		if d == nil {
			d = &seriesDelta{}
			deltas[k] = d
		}
		d.add(r)
	}
	keys := slices.SortedFunc(maps.Keys(deltas), compareSeries)
	n := len(keys)
	var (
		iterations, names, recorded = make([]string, n), make([]string, n), make([]string, n)
		counts, firsts, lasts       = make([]int64, n), make([]int64, n), make([]int64, n)
		mins, maxs, lastValues      = make([]float64, n), make([]float64, n), make([]float64, n)
	)
	for i, k := range keys {
		d := deltas[k]
		iterations[i], names[i], counts[i], mins[i], maxs[i], lastValues[i] = k.iteration, k.key, d.count, d.min, d.max, d.last
		firsts[i], lasts[i], recorded[i] = d.firstStep, d.lastStep, d.lastRecordedAt
	}
	return `INSERT INTO metric_summary AS s
			(iteration_id, key, count, min_value, max_value, last_value, first_step, last_step, last_recorded_at)
		SELECT i, k, c, lo, hi, lv, fs, ls, lr FROM unnest($1::VARCHAR[], $2::TEXT[], $3::BIGINT[], $4::DOUBLE PRECISION[],
			$5::DOUBLE PRECISION[], $6::DOUBLE PRECISION[], $7::BIGINT[], $8::BIGINT[], $9::TEXT[])
			WITH ORDINALITY AS u(i, k, c, lo, hi, lv, fs, ls, lr, n) ORDER BY n
		ON CONFLICT (iteration_id, key) DO UPDATE SET
			count = s.count + excluded.count,
			min_value = least(s.min_value, excluded.min_value),
			max_value = greatest(s.max_value, excluded.max_value),
			first_step = least(s.first_step, excluded.first_step),
			last_step = greatest(s.last_step, excluded.last_step),
			last_value = CASE WHEN s.last_step IS NULL OR (excluded.last_step, excluded.last_recorded_at) >= (s.last_step, s.last_recorded_at)
				THEN excluded.last_value ELSE s.last_value END,
			last_recorded_at = CASE WHEN s.last_step IS NULL OR (excluded.last_step, excluded.last_recorded_at) >= (s.last_step, s.last_recorded_at)
				THEN excluded.last_recorded_at ELSE s.last_recorded_at END`,
		[]any{iterations, names, counts, mins, maxs, lastValues, firsts, lasts, recorded}
}
