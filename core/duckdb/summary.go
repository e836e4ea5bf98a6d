package duckdb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Summaries live in two append-only tables (see migrations/002): DuckDB
// updates rows far more slowly than it appends them, and a commit that only
// appends keeps group commit fast.

// summaryRows selects the partial rows of one series from both tables; it
// takes (iteration, key) twice.
var summaryRows = `SELECT ` + summaryList + ` FROM metric_summary WHERE iteration_id = ? AND key = ?
	UNION ALL SELECT ` + summaryList + ` FROM metric_summary_delta WHERE iteration_id = ? AND key = ?`

// summaryFold folds partial rows into one per series; rows of both tables
// have the same columns, so it reads and writes them alike.
const summaryFold = `iteration_id, key, sum(count)::BIGINT, min(min_value), max(max_value),
	arg_max(last_value, (last_step, last_recorded_at, last_seq)), max(last_step),
	arg_max(last_recorded_at, (last_step, last_recorded_at, last_seq)), arg_max(last_seq, (last_step, last_recorded_at, last_seq)),
	sum(step_sum), sum(value_sum), min(first_step)`

// summaryFromPoints computes summary rows from the points themselves; rowid
// breaks ties of (step, recorded_at) in favour of the later point. The %s is
// the condition on metric.
const summaryFromPoints = `SELECT iteration_id, key, count(*), min(value), max(value),
	arg_max(value, (step, recorded_at, rowid)), max(step), arg_max(recorded_at, (step, recorded_at, rowid)), 0,
	sum(step)::DOUBLE, sum(value), min(step) FROM metric WHERE %s GROUP BY iteration_id, key`

// summaryColumns are the columns of a summary, which both tables have;
// summaryList names them in SQL. Both tables also have the rollup's columns
// (deltaColumns), unused in metric_summary: a version from before migration
// 008 reads the two with SELECT *, and must find them alike.
var (
	summaryColumns = []string{"iteration_id", "key", "count", "min_value", "max_value", "last_value", "last_step",
		"last_recorded_at", "last_seq", "step_sum", "value_sum", "first_step"}
	summaryList = strings.Join(summaryColumns, ", ")
)

// deltaColumns are what the writer appends to metric_summary_delta: a
// summary of the points a commit added to one block of a series, with what
// the block's rollup needs besides (see rollup.go).
var deltaColumns = append(slices.Clip(summaryColumns), "block", "first_value", "min_step", "max_step")

// compactAt is how many delta rows wait before the writer folds them.
const compactAt = 20_000

// compactBytesPerRow is the DuckDB memory a compaction borrows per delta
// row (three times over, as every borrowing does).
const compactBytesPerRow = 256

// blockDelta is what a transaction adds to one block of a series: a part of
// the series' summary and of the block's rollup.
type blockDelta struct {
	count             int64
	min, max          float64
	minStep, maxStep  int64 // where min and max are
	firstStep         int64
	firstValue        float64
	lastValue         float64
	lastStep          int64
	lastRecordedAt    string
	stepSum, valueSum float64 // with count, what open compares with the points
}

// add adds a point that came after d's.
func (d *blockDelta) add(r metricRow) {
	d.merge(&blockDelta{count: 1, min: r.value, max: r.value, minStep: r.step, maxStep: r.step,
		firstStep: r.step, firstValue: r.value, lastValue: r.value, lastStep: r.step, lastRecordedAt: r.recordedAt,
		stepSum: float64(r.step), valueSum: r.value})
}

// addPoint adds a point to the delta of its block in deltas.
func addPoint(deltas map[blockKey]*blockDelta, r metricRow) {
	k := blockKey{seriesKey{r.iterationID, r.key}, r.step >> rollupShift}
	d := deltas[k]
	if d == nil {
		d = &blockDelta{}
		deltas[k] = d
	}
	d.add(r)
}

// mergeDeltas adds from, the deltas of points that came after into's, to
// into, and takes over the ones it did not have.
func mergeDeltas(into, from map[blockKey]*blockDelta) {
	for k, d := range from {
		if c := into[k]; c != nil {
			c.merge(d)
		} else {
			into[k] = d
		}
	}
}

// merge adds o, the delta of points that came after d's. Ties go to the
// earlier point for the lowest, highest and first, and to the later for
// the last, so merging deltas gives what adding their points one by one
// would.
func (d *blockDelta) merge(o *blockDelta) {
	if d.count == 0 {
		*d = *o
		return
	}
	d.count += o.count
	d.stepSum += o.stepSum
	d.valueSum += o.valueSum
	if o.min < d.min {
		d.min, d.minStep = o.min, o.minStep
	}
	if o.max > d.max {
		d.max, d.maxStep = o.max, o.maxStep
	}
	if o.firstStep < d.firstStep {
		d.firstStep, d.firstValue = o.firstStep, o.firstValue
	}
	if o.lastStep > d.lastStep || (o.lastStep == d.lastStep && o.lastRecordedAt >= d.lastRecordedAt) {
		d.lastValue, d.lastStep, d.lastRecordedAt = o.lastValue, o.lastStep, o.lastRecordedAt
	}
}

// flushSummaries appends one delta row per block of a series the
// transaction touched since its last flush. Each flush takes a new sequence
// number, so later changes win ties against earlier ones.
func (t *tx) flushSummaries() error {
	if err := t.flushRows(); err != nil || len(t.deltas) == 0 {
		return err
	}
	t.flushes++
	seq := t.cache.seq + t.flushes
	keys := slices.Collect(maps.Keys(t.deltas))
	err := t.appendRows("metric_summary_delta", deltaColumns, len(keys), func(i int) []driver.Value {
		k := keys[i]
		d := t.deltas[k]
		return []driver.Value{t.ids.value(k.iteration), k.key, d.count, d.min, d.max, d.lastValue, d.lastStep, d.lastRecordedAt, seq, d.stepSum, d.valueSum, d.firstStep,
			k.block, d.firstValue, d.minStep, d.maxStep}
	})
	if err != nil {
		t.err = &flushError{fmt.Errorf("cannot append metric summaries: %w", err)}
		return t.err
	}
	t.deltaRows += int64(len(keys))
	clear(t.deltas)
	return nil
}

// resummarise recomputes one series' summary and rollup after its points
// changed by SQL.
func resummarise(t *tx, iterationID, key string) error {
	if err := t.flushSummaries(); err != nil {
		return err
	}
	t.forgetSeries(seriesKey{iterationID, key})
	return execAll(t, []any{iterationID, key},
		`DELETE FROM metric_summary WHERE iteration_id = ? AND key = ?`,
		`DELETE FROM metric_summary_delta WHERE iteration_id = ? AND key = ?`,
		`INSERT INTO metric_summary (`+summaryList+`) `+fmt.Sprintf(summaryFromPoints, `iteration_id = ? AND key = ?`),
		`DELETE FROM metric_rollup WHERE iteration_id = ? AND key = ?`,
		`INSERT INTO metric_rollup `+fmt.Sprintf(rollupFromPoints, `iteration_id = ? AND key = ?`),
	)
}

// compact folds the delta rows into one row per series in metric_summary,
// and moves their blocks to metric_rollup. Held points go into DuckDB first, in
// a transaction of their own: taken into the compaction's, a row group of
// them and the fold together outgrew ddd's 48MB of DuckDB memory, and the
// compaction failed every time.
func (w *writer) compact() error {
	if w.held.count.Load() > 0 || w.held.draining.Load() > 0 {
		if err := w.drain(true); err != nil {
			return err
		}
	}
	t := w.begin()
	// The fold's hash tables grow with the delta rows: 66,000 of them (a
	// model logging 1,000 series from 16 runs) outgrew 48MB.
	t.borrowed = append(t.borrowed, w.mem.forWrite(w.cache.deltaRows*compactBytesPerRow))
	defer t.returnMemory()
	touched := `EXISTS (SELECT 1 FROM metric_summary_delta d WHERE d.iteration_id = metric_summary.iteration_id AND d.key = metric_summary.key)`
	if err := execAll(t, nil,
		// The delta rows' blocks go to the rollup, folded among
		// themselves only: a block touched again since an earlier
		// compaction gets a second row, which readers fold as they fold
		// the delta rows (rollupRows). Folding them into the rollup's rows
		// scanned and rewrote the whole rollup every time, which grows
		// with every block logged: a model logging 1,000 series from 16
		// runs spent half a second a compaction on it after a minute, and
		// more every minute after.
		`INSERT INTO metric_rollup SELECT `+rollupFold+` FROM metric_summary_delta
			WHERE block IS NOT NULL GROUP BY iteration_id, key, block`,
		`INSERT INTO metric_summary_delta (`+summaryList+`) SELECT `+summaryList+` FROM metric_summary WHERE `+touched,
		`DELETE FROM metric_summary WHERE `+touched,
		`INSERT INTO metric_summary (`+summaryList+`) SELECT `+summaryFold+` FROM metric_summary_delta GROUP BY iteration_id, key`,
		`DELETE FROM metric_summary_delta`,
	); err != nil {
		t.rollback()
		return err
	}
	t.deltaRows = -w.cache.deltaRows
	return t.commit()
}

// summaryState reports whether both summary tables exist, with their latest
// columns (a read-only file may predate migration 006), and account for
// exactly the points in metric: the same count, sum of steps and (within
// rounding) sum of values. An update in place by another program changes a
// sum even when it keeps the count.
func summaryState(ctx context.Context, q querier) (current bool, err error) {
	var tables int
	if err := q.QueryRowContext(ctx, `SELECT count(*) FROM information_schema.columns
		WHERE table_schema = 'main' AND table_name IN ('metric_summary', 'metric_summary_delta') AND column_name = 'first_step'`).Scan(&tables); err != nil || tables < 2 {
		return false, err
	}
	err = q.QueryRowContext(ctx, `WITH p AS (SELECT count(*) AS n, COALESCE(sum(step), 0)::DOUBLE AS steps, COALESCE(sum(value), 0) AS vals FROM metric),
		s AS (SELECT COALESCE(sum(count), 0) AS n, COALESCE(sum(step_sum), 0) AS steps, COALESCE(sum(value_sum), 0) AS vals
			FROM (SELECT count, step_sum, value_sum FROM metric_summary UNION ALL SELECT count, step_sum, value_sum FROM metric_summary_delta))
		SELECT p.n = s.n AND p.steps = s.steps
			AND (p.vals = s.vals OR (isnan(p.vals) AND isnan(s.vals)) OR abs(p.vals - s.vals) <= 1e-9 * greatest(1, abs(p.vals)))
		FROM p, s`).Scan(&current)
	return current, err
}

// refreshSummaries rebuilds the summaries and the rollup when they disagree
// with the points, as they do after DearDiary.jl or an older version wrote
// to the file: the rollup alone when only it is stale, both when the
// summaries are (the points changed, perhaps in value only, which the
// rollup's counts cannot show). Both go in one transaction, so a failure
// cannot leave fresh summaries beside a stale rollup that would then pass
// for current.
//
// The checks read every point, and run under the configured memory limit:
// with it lifted, DuckDB kept all it read, and opening a 2.6 GB file peaked
// at 532 MiB (100 MiB since). A rebuild's aggregation runs with it lifted (see
// memoryBudget.lifted).
func refreshSummaries(ctx context.Context, db *sql.DB, mem *memoryBudget) error {
	summaries, err := summaryState(ctx, db)
	if err != nil {
		return err
	}
	if summaries {
		if rollup, err := rollupCurrent(ctx, db); err != nil || rollup {
			return err
		}
	}
	var stmts []string
	if !summaries {
		stmts = []string{
			`DELETE FROM metric_summary`,
			`DELETE FROM metric_summary_delta`,
			`INSERT INTO metric_summary (` + summaryList + `) ` + fmt.Sprintf(summaryFromPoints, "true"),
		}
	}
	return mem.lifted(func() error {
		t, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer t.Rollback()
		for _, stmt := range append(stmts, rebuildRollup...) {
			if _, err := t.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("cannot rebuild metric summaries: %w", err)
			}
		}
		return t.Commit()
	})
}
