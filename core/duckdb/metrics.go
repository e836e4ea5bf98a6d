package duckdb

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/deardiary/deardiary-go/core"
)

const metricColumns = `id, iteration_id, key, value, step, recorded_at`

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
	return getOne(ctx, q, scanMetric, "metric", id, `SELECT `+metricColumns+` FROM metric WHERE id = ?`, id)
}

// GetMetric implements core.MetricService.
func (s *Store) GetMetric(ctx context.Context, id string) (*core.Metric, error) {
	if err := s.sync(ctx); err != nil {
		return nil, err
	}
	return getMetric(ctx, s.db, id)
}

// ListMetrics implements core.MetricService.
func (s *Store) ListMetrics(ctx context.Context, f core.MetricFilter) ([]*core.Metric, int, error) {
	if err := s.sync(ctx); err != nil {
		return nil, 0, err
	}
	return listPage(ctx, s, scanMetric, metricColumns, `metric WHERE iteration_id = ? AND (? = '' OR key = ?)`,
		`step, recorded_at, rowid`, f.Page, f.IterationID, f.Key, f.Key)
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

// LogMetrics implements core.MetricService.
func (s *Store) LogMetrics(ctx context.Context, iterationID string, b core.MetricBatch) ([]string, error) {
	points, err := s.prepareMetrics(iterationID, b)
	if err != nil {
		return nil, err
	}
	err = s.write(ctx, func(t *tx) error {
		if _, err := runningIteration(t, iterationID, invalidRef); err != nil {
			return err
		}
		return points.append(t)
	})
	if err != nil {
		return nil, err
	}
	return points.ids, nil
}

// pendingMetrics are points checked and given ids and timestamps before the
// write is queued, so the writer only assigns automatic steps and appends.
type pendingMetrics struct {
	rows []metricRow
	auto []bool
	ids  []string
}

func (s *Store) prepareMetrics(iterationID string, b core.MetricBatch) (*pendingMetrics, error) {
	// The writer keys its caches by the iteration's id as its rows hold it.
	iterationID = s.ids.canonical(iterationID)
	// A zero time, like nil, means now: storage has no place for it.
	now := core.FormatTime(s.now())
	if b.RecordedAt != nil && !b.RecordedAt.IsZero() {
		now = core.FormatTime(*b.RecordedAt)
	}
	p := &pendingMetrics{rows: make([]metricRow, len(b.Metrics)), auto: make([]bool, len(b.Metrics)), ids: make([]string, len(b.Metrics))}
	for _, m := range b.Metrics {
		if err := checkMetric(m.Key, m.Value); err != nil {
			return nil, err
		}
	}
	s.ids.fill("metric", p.ids)
	for i, m := range b.Metrics {
		r := metricRow{id: p.ids[i], iterationID: iterationID, key: m.Key, value: m.Value, recordedAt: now}
		switch {
		case m.Step != nil:
			r.step = *m.Step
		case b.Step != nil:
			r.step = *b.Step
		default:
			p.auto[i] = true
		}
		if m.RecordedAt != nil && !m.RecordedAt.IsZero() {
			r.recordedAt = core.FormatTime(*m.RecordedAt)
		}
		p.rows[i] = r
	}
	return p, nil
}

// append assigns automatic steps, in order, and buffers the points.
func (p *pendingMetrics) append(t *tx) error {
	for i, r := range p.rows {
		if p.auto[i] {
			last, ok, err := t.lastStep(seriesKey{r.iterationID, r.key})
			if err != nil {
				return err
			}
			if ok && last == math.MaxInt64 {
				return core.Invalid("metric %q already has the largest step there is (%d): give this point's step explicitly", r.key, last)
			}
			if r.step = 0; ok {
				r.step = last + 1
			}
		}
		t.appendMetric(r)
	}
	return nil
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
		// Which of two values would the run have had? (MLflow's log-batch
		// refuses them too.)
		if keys[p.Key] {
			return nil, core.Invalid("parameter %q is given twice in the batch", p.Key)
		}
		keys[p.Key] = true
		text, err := core.FormatParamValue(p.Value)
		if err != nil {
			return nil, core.Invalid("parameter %q: %s", p.Key, core.ErrorMessage(err))
		}
		values[i], res.ParameterIDs[i] = text, s.ids.next("parameter")
	}
	for _, tag := range b.Tags {
		if err := core.RequireText("tag", tag); err != nil {
			return nil, err
		}
	}
	points, err := s.prepareMetrics(iterationID, b.Metrics)
	if err != nil {
		return nil, err
	}
	res.MetricIDs = points.ids
	err = s.write(ctx, func(t *tx) error {
		if _, err := runningIteration(t, iterationID, invalidRef); err != nil {
			return err
		}
		for i, p := range b.Params {
			if _, err := t.ExecContext(t.ctx, `INSERT INTO parameter (id, iteration_id, key, value) VALUES (?, ?, ?, ?)`,
				res.ParameterIDs[i], iterationID, p.Key, values[i]); err != nil {
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
		return points.append(t)
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// changeableMetric returns a metric point whose iteration is still running.
func changeableMetric(t *tx, id string) (*core.Metric, error) {
	m, err := getMetric(t.ctx, t, id)
	if err != nil {
		return nil, err
	}
	if _, err := runningIteration(t, m.IterationID, invalidRef); err != nil {
		return nil, err
	}
	return m, nil
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
		if err != nil {
			return err
		}
		if c.empty() {
			return nil
		}
		if err := c.apply(t.ctx, t, "metric", id); err != nil {
			return err
		}
		if err := resummarise(t, m.IterationID, m.Key); err != nil {
			return err
		}
		if upd.Key != nil && *upd.Key != m.Key {
			return resummarise(t, m.IterationID, *upd.Key)
		}
		return nil
	})
}

// DeleteMetric implements core.MetricService.
func (s *Store) DeleteMetric(ctx context.Context, id string) error {
	return s.write(ctx, func(t *tx) error {
		m, err := changeableMetric(t, id)
		if err != nil {
			return err
		}
		if _, err := t.ExecContext(t.ctx, `DELETE FROM metric WHERE id = ?`, id); err != nil {
			return err
		}
		return resummarise(t, m.IterationID, m.Key)
	})
}

// MetricHistory implements core.MetricService.
func (s *Store) MetricHistory(ctx context.Context, q core.HistoryQuery) ([]core.Series, error) {
	if err := core.RequireText("metric key", q.Key); err != nil {
		return nil, err
	}
	if err := s.sync(ctx); err != nil {
		return nil, err
	}
	ids := unique(q.IterationIDs)
	// Fewer than three points still reduce a long series in the database
	// first, to three a bucket; Downsample then keeps what was asked.
	reduce := q.MaxPoints
	if reduce > 0 && reduce < 3 {
		reduce = 3
	}
	var long map[string]stepSpan
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
	// A series of more than historyChunk points is read a range of steps at
	// a time (see readSeries); the others, many series to a query.
	if reduce == 0 {
		spans, err := s.seriesSpans(ctx, q.Key, whole)
		if err != nil {
			return nil, err
		}
		whole = slices.DeleteFunc(whole, func(id string) bool { return spans[id].count > historyChunk })
		for id, span := range spans {
			if span.count > historyChunk {
				if err := s.readSeries(ctx, q.Key, id, span, func(p core.Point) error {
					bySeries[id] = append(bySeries[id], p)
					return nil
				}); err != nil {
					return nil, err
				}
			}
		}
	}
	err := forChunks(whole, func(ids []string) error {
		rows, err := s.db.QueryContext(ctx, `SELECT iteration_id, step, value, recorded_at FROM metric
			WHERE key = ? AND iteration_id IN (`+placeholders(len(ids))+`) ORDER BY iteration_id, step, recorded_at, rowid`,
			append([]any{q.Key}, anySlice(ids)...)...)
		if err != nil {
			return err
		}
		return scanPoints(rows, bySeries)
	})
	if err == nil && len(long) > 0 {
		rolled := map[string]stepSpan{}
		for id, span := range long {
			if s.rollups && rollupServes(span, reduce) {
				rolled[id] = span
				delete(long, id)
			}
		}
		if err = s.bucketExtremes(ctx, rollupPoints, q.Key, rolled, reduce, bySeries); err == nil {
			err = s.bucketExtremes(ctx, allPoints, q.Key, long, reduce, bySeries)
		}
	}
	if err != nil {
		return nil, err
	}
	out := []core.Series{}
	for _, id := range ids {
		points, ok := bySeries[id]
		if !ok {
			continue
		}
		out = append(out, core.Series{IterationID: id, Key: q.Key, Points: core.Downsample(points, q.MaxPoints)})
	}
	return out, nil
}

// scanPoints appends rows of (iteration_id, step, value, recorded_at) to
// their series, in the order read.
func scanPoints(rows *sql.Rows, bySeries map[string][]core.Point) error {
	defer rows.Close()
	for rows.Next() {
		var (
			id string
			p  core.Point
			at string
		)
		if err := rows.Scan(&id, &p.Step, &p.Value, &at); err != nil {
			return err
		}
		p.RecordedAt = storedTime(at)
		bySeries[id] = append(bySeries[id], p)
	}
	return rows.Err()
}

// wholeSeriesFactor decides which series MetricHistory reads whole: those of
// at most this many times the points asked for. Longer ones are reduced in
// the database first, so a chart of a million-point run moves a few thousand
// rows out of DuckDB instead of all of them.
const wholeSeriesFactor = 8

// stepSpan is the step range and point count of one long series.
type stepSpan struct{ lo, hi, count int64 }

// steps is hi - lo, taken unsigned: steps may span more than an int64 holds.
func (s stepSpan) steps() uint64 { return uint64(s.hi) - uint64(s.lo) }

// width is the steps in each of n >= 2 equal ranges of the span; it fits an
// int64 even when the span does not.
func (s stepSpan) width(n int) int64 { return int64(s.steps()/uint64(n) + 1) }

// longSeries returns the step ranges of the series in ids too long to read
// whole for a chart of maxPoints, from their summaries.
func (s *Store) longSeries(ctx context.Context, key string, ids []string, maxPoints int) (map[string]stepSpan, error) {
	sums, err := s.MetricSummaries(ctx, core.SummaryFilter{IterationIDs: ids})
	if err != nil {
		return nil, err
	}
	long := map[string]stepSpan{}
	for _, m := range sums {
		if m.Key == key && m.Count > wholeSeriesFactor*int64(maxPoints) {
			long[m.IterationID] = stepSpan{m.FirstStep, m.LastStep, m.Count}
		}
	}
	return long, nil
}

// Sources of bucketExtremes: every point of the series, or the four points
// each rollup block keeps (see rollup.go). The %s is the condition on them.
const (
	allPoints    = `SELECT iteration_id, step, value FROM metric WHERE %s`
	rollupPoints = `SELECT iteration_id, unnest([first_step, min_step, max_step, last_step]) AS step,
		unnest([first_value, min_value, max_value, last_value]) AS value
		FROM (` + rollupRows + `) WHERE %s`
)

// bucketExtremes reduces each long series to the extremes of maxPoints
// equal step ranges: the first, last, lowest and highest point of each (the
// M4 reduction, which keeps every pixel a line chart of that width would
// light), choosing among the points of source. Downsample then picks among
// them. Points come out ordered by step, without their recording times:
// carrying those through the aggregation costs half again as much, and a
// chart never reads them.
func (s *Store) bucketExtremes(ctx context.Context, source, key string, long map[string]stepSpan, maxPoints int, bySeries map[string][]core.Point) error {
	ids := slices.Sorted(maps.Keys(long))
	return forChunks(ids, func(ids []string) error {
		spans := make([]string, len(ids))
		args := append([]any{key}, anySlice(ids)...)
		// A step's offset from its series' first fits a BIGINT unless the
		// series spans more than one holds; HUGEINT arithmetic costs the
		// scan nearly twice as much, so only such a series pays for it.
		offset := `m.step - r.lo`
		for i, id := range ids {
			span := long[id]
			spans[i] = `(?, ?::BIGINT, ?::BIGINT)`
			args = append(args, id, span.lo, span.width(maxPoints))
			if span.steps() > math.MaxInt64 {
				offset = `m.step::HUGEINT - r.lo`
			}
		}
		points := fmt.Sprintf(source, `key = ? AND iteration_id IN (`+placeholders(len(ids))+`)`)
		rows, err := s.db.QueryContext(ctx, `WITH b AS (
				SELECT m.iteration_id,
					min(m.step) AS s1, arg_min(m.value, m.step) AS v1,
					arg_min(m.step, m.value) AS s2, min(m.value) AS v2,
					arg_max(m.step, m.value) AS s3, max(m.value) AS v3,
					max(m.step) AS s4, arg_max(m.value, m.step) AS v4
				FROM (`+points+`) m JOIN (VALUES `+strings.Join(spans, ", ")+`) r(iteration_id, lo, width) ON m.iteration_id = r.iteration_id
				GROUP BY m.iteration_id, (`+offset+`) // r.width)
			SELECT DISTINCT iteration_id, step, value FROM (
				SELECT iteration_id, s1 AS step, v1 AS value FROM b UNION ALL
				SELECT iteration_id, s2, v2 FROM b UNION ALL
				SELECT iteration_id, s3, v3 FROM b UNION ALL
				SELECT iteration_id, s4, v4 FROM b)
			ORDER BY iteration_id, step, value`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				id string
				p  core.Point
			)
			if err := rows.Scan(&id, &p.Step, &p.Value); err != nil {
				return err
			}
			bySeries[id] = append(bySeries[id], p)
		}
		return rows.Err()
	})
}

// idChunk bounds the ids bound into one IN list.
const idChunk = 1000

// unique returns ids without repeats, in first-seen order.
func unique(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

func forChunks(ids []string, fn func([]string) error) error {
	for start := 0; start < len(ids); start += idChunk {
		if err := fn(ids[start:min(start+idChunk, len(ids))]); err != nil {
			return err
		}
	}
	return nil
}

// MetricSummaries implements core.MetricService.
func (s *Store) MetricSummaries(ctx context.Context, f core.SummaryFilter) ([]core.MetricSummary, error) {
	if f.ExperimentID == "" && len(f.IterationIDs) == 0 {
		return nil, core.Invalid("name an experiment or iterations to summarise")
	}
	if err := s.sync(ctx); err != nil {
		return nil, err
	}
	var out []core.MetricSummary
	query := func(where string, args ...any) error {
		// Without current summary tables (a read-only file that was never
		// migrated, or is stale) the summaries come from the points.
		from := `(SELECT ` + summaryList + ` FROM metric_summary WHERE ` + where +
			` UNION ALL SELECT ` + summaryList + ` FROM metric_summary_delta WHERE ` + where + `)`
		args = append(args, args...)
		if !s.summaries {
			from = `(` + fmt.Sprintf(summaryFromPoints, where) + `)`
			args = args[:len(args)/2]
		}
		rows, err := s.db.QueryContext(ctx, `SELECT `+summaryFold+` FROM `+from+
			` AS s(`+strings.Join(summaryColumns, ", ")+`) GROUP BY iteration_id, key ORDER BY iteration_id, key`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				m                 core.MetricSummary
				at                string
				seq               int64
				stepSum, valueSum float64
			)
			if err := rows.Scan(&m.IterationID, &m.Key, &m.Count, &m.Min, &m.Max, &m.Last, &m.LastStep, &at, &seq, &stepSum, &valueSum, &m.FirstStep); err != nil {
				return err
			}
			out = append(out, m)
		}
		return rows.Err()
	}
	var err error
	switch {
	case len(f.IterationIDs) == 0:
		err = query(`iteration_id IN (SELECT id FROM iteration WHERE experiment_id = ?)`, f.ExperimentID)
	default:
		err = forChunks(unique(f.IterationIDs), func(ids []string) error {
			where, args := `iteration_id IN (`+placeholders(len(ids))+`)`, anySlice(ids)
			if f.ExperimentID != "" {
				where += ` AND iteration_id IN (SELECT id FROM iteration WHERE experiment_id = ?)`
				args = append(args, f.ExperimentID)
			}
			return query(where, args...)
		})
	}
	if err != nil {
		return nil, err
	}
	if out == nil {
		out = []core.MetricSummary{}
	}
	// Chunks are each ordered; the whole list must be too.
	slices.SortFunc(out, func(a, b core.MetricSummary) int {
		return cmp.Or(strings.Compare(a.IterationID, b.IterationID), strings.Compare(a.Key, b.Key))
	})
	return out, nil
}
