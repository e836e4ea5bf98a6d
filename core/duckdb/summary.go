package duckdb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
)

// Summaries live in two append-only tables (see migrations/002): DuckDB
// updates rows far more slowly than it appends them, and a commit that only
// appends keeps group commit fast.

// summaryRows selects the partial rows of one series from both tables; it
// takes (iteration, key) twice.
const summaryRows = `SELECT * FROM metric_summary WHERE iteration_id = ? AND key = ?
	UNION ALL SELECT * FROM metric_summary_delta WHERE iteration_id = ? AND key = ?`

// summaryFold folds partial rows into one per series; rows of both tables
// have the same columns, so it reads and writes them alike.
const summaryFold = `iteration_id, key, sum(count)::BIGINT, min(min_value), max(max_value),
	arg_max(last_value, (last_step, last_recorded_at, last_seq)), max(last_step),
	arg_max(last_recorded_at, (last_step, last_recorded_at, last_seq)), arg_max(last_seq, (last_step, last_recorded_at, last_seq))`

// summaryFromPoints computes summary rows from the points themselves; rowid
// breaks ties of (step, recorded_at) in favour of the later point. The %s is
// the condition on metric.
const summaryFromPoints = `SELECT iteration_id, key, count(*), min(value), max(value),
	arg_max(value, (step, recorded_at, rowid)), max(step), arg_max(recorded_at, (step, recorded_at, rowid)), 0
	FROM metric WHERE %s GROUP BY iteration_id, key`

var summaryColumns = []string{"iteration_id", "key", "count", "min_value", "max_value", "last_value", "last_step", "last_recorded_at", "last_seq"}

// compactAt is how many delta rows wait before the writer folds them.
const compactAt = 20_000

// seriesDelta is what a transaction adds to one series' summary.
type seriesDelta struct {
	count          int64
	min, max       float64
	lastValue      float64
	lastStep       int64
	lastRecordedAt string
}

func (d *seriesDelta) add(r metricRow) {
	if d.count == 0 {
		*d = seriesDelta{count: 1, min: r.value, max: r.value, lastValue: r.value, lastStep: r.step, lastRecordedAt: r.recordedAt}
		return
	}
	d.count++
	d.min = min(d.min, r.value)
	d.max = max(d.max, r.value)
	if r.step > d.lastStep || (r.step == d.lastStep && r.recordedAt >= d.lastRecordedAt) {
		d.lastValue, d.lastStep, d.lastRecordedAt = r.value, r.step, r.recordedAt
	}
}

// flushSummaries appends one delta row per series the transaction touched
// since its last flush. Each flush takes a new sequence number, so later
// changes win ties against earlier ones.
func (t *tx) flushSummaries() error {
	if err := t.flushRows(); err != nil || len(t.deltas) == 0 {
		return err
	}
	t.flushes++
	seq := t.cache.seq + t.flushes
	keys := make([]seriesKey, 0, len(t.deltas))
	for k := range t.deltas {
		keys = append(keys, k)
	}
	err := t.appendRows("metric_summary_delta", summaryColumns, len(keys), func(i int) []driver.Value {
		k := keys[i]
		d := t.deltas[k]
		return []driver.Value{k.iteration, k.key, d.count, d.min, d.max, d.lastValue, d.lastStep, d.lastRecordedAt, seq}
	})
	if err != nil {
		t.err = fmt.Errorf("cannot append metric summaries: %w", err)
		return t.err
	}
	t.deltaRows += int64(len(keys))
	clear(t.deltas)
	return nil
}

// resummarise recomputes one series' summary after its points changed by SQL.
func resummarise(t *tx, iterationID, key string) error {
	if err := t.flushSummaries(); err != nil {
		return err
	}
	t.forgetSeries(seriesKey{iterationID, key})
	return execAll(t, []any{iterationID, key},
		`DELETE FROM metric_summary WHERE iteration_id = ? AND key = ?`,
		`DELETE FROM metric_summary_delta WHERE iteration_id = ? AND key = ?`,
		`INSERT INTO metric_summary `+fmt.Sprintf(summaryFromPoints, `iteration_id = ? AND key = ?`),
	)
}

// compact folds the delta rows into one row per series in metric_summary.
func (w *writer) compact() error {
	t, err := w.begin()
	if err != nil {
		return err
	}
	touched := `EXISTS (SELECT 1 FROM metric_summary_delta d WHERE d.iteration_id = metric_summary.iteration_id AND d.key = metric_summary.key)`
	if err := execAll(t, nil,
		`INSERT INTO metric_summary_delta SELECT * FROM metric_summary WHERE `+touched,
		`DELETE FROM metric_summary WHERE `+touched,
		`INSERT INTO metric_summary SELECT `+summaryFold+` FROM metric_summary_delta GROUP BY iteration_id, key`,
		`DELETE FROM metric_summary_delta`,
	); err != nil {
		t.rollback()
		return err
	}
	t.deltaRows = -w.cache.deltaRows
	return t.commit()
}

// summaryState reports whether both summary tables exist and account for
// exactly the points in metric.
func summaryState(ctx context.Context, q querier) (current bool, err error) {
	var tables int
	if err := q.QueryRowContext(ctx, `SELECT count(*) FROM information_schema.tables
		WHERE table_schema = 'main' AND table_name IN ('metric_summary', 'metric_summary_delta')`).Scan(&tables); err != nil || tables < 2 {
		return false, err
	}
	var points, summarised int64
	err = q.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM metric),
		(SELECT COALESCE(sum(count), 0) FROM metric_summary) + (SELECT COALESCE(sum(count), 0) FROM metric_summary_delta)`).
		Scan(&points, &summarised)
	return points == summarised, err
}

// refreshSummaries rebuilds the summaries when they disagree with the points,
// as they do after DearDiary.jl, or a process that died between a commit and
// nothing else, wrote to the file.
func refreshSummaries(ctx context.Context, db *sql.DB) error {
	current, err := summaryState(ctx, db)
	if err != nil || current {
		return err
	}
	t, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer t.Rollback()
	for _, stmt := range []string{
		`DELETE FROM metric_summary`,
		`DELETE FROM metric_summary_delta`,
		`INSERT INTO metric_summary ` + fmt.Sprintf(summaryFromPoints, "true"),
	} {
		if _, err := t.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("cannot rebuild metric summaries: %w", err)
		}
	}
	return t.Commit()
}
