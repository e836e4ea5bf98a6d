package duckdb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"maps"
	"slices"

	"github.com/deardiary/deardiary-go/core"
)

// A line chart of a long history needs, for each of its columns, the first,
// last, lowest and highest point of that column's step range (M4; see
// bucketExtremes). Computing them scans every point of the series, which for
// ten runs of 100k points is most of a compare screen's time. The rollup
// keeps those four points for every block of 64 consecutive steps, as the
// writer adds points (see migrations/008), so such a chart reads a few
// thousand rollup rows and finishes the reduction in Go.

// rollupShift makes a point's block: its step shifted right by this much
// (an arithmetic shift, so negative steps have blocks of their own).
const rollupShift = 6

type blockKey struct {
	seriesKey
	block int64
}

// blockM4 is the count and the four extreme points of the points of one block
// a transaction added.
type blockM4 struct {
	count                  int64
	first, low, high, last core.Point
}

func (b *blockM4) add(step int64, value float64) {
	p := core.Point{Step: step, Value: value}
	if b.count == 0 {
		b.count, b.first, b.low, b.high, b.last = 1, p, p, p, p
		return
	}
	b.count++
	if step < b.first.Step {
		b.first = p
	}
	if step >= b.last.Step {
		b.last = p
	}
	if value < b.low.Value {
		b.low = p
	}
	if value > b.high.Value {
		b.high = p
	}
}

var rollupColumns = []string{"iteration_id", "key", "block", "count", "first_step", "first_value",
	"min_step", "min_value", "max_step", "max_value", "last_step", "last_value"}

// rollupFold folds partial rows into one per block.
const rollupFold = `iteration_id, key, block, sum(count)::BIGINT,
	min(first_step), arg_min(first_value, first_step),
	arg_min(min_step, min_value), min(min_value),
	arg_max(max_step, max_value), max(max_value),
	max(last_step), arg_max(last_value, last_step)`

// rollupFromPoints computes rollup rows from the points; the %s is the
// condition on metric.
var rollupFromPoints = fmt.Sprintf(`SELECT iteration_id, key, step >> %[1]d, count(*),
	min(step), arg_min(value, step), arg_min(step, value), min(value),
	arg_max(step, value), max(value), max(step), arg_max(value, step)
	FROM metric WHERE %%s GROUP BY iteration_id, key, step >> %[1]d`, rollupShift)

// addToBlock records a buffered point in its block's rollup.
func (t *tx) addToBlock(r metricRow) {
	k := blockKey{seriesKey{r.iterationID, r.key}, r.step >> rollupShift}
	b := t.blocks[k]
	if b == nil {
		b = &blockM4{}
		t.blocks[k] = b
	}
	b.add(r.step, r.value)
}

// flushBlocks appends one partial rollup row per block the transaction
// touched since its last flush.
func (t *tx) flushBlocks() error {
	if len(t.blocks) == 0 {
		return nil
	}
	keys := slices.Collect(maps.Keys(t.blocks))
	err := t.appendRows("metric_rollup_delta", rollupColumns, len(keys), func(i int) []driver.Value {
		k := keys[i]
		b := t.blocks[k]
		return []driver.Value{k.iteration, k.key, k.block, b.count, b.first.Step, b.first.Value,
			b.low.Step, b.low.Value, b.high.Step, b.high.Value, b.last.Step, b.last.Value}
	})
	if err != nil {
		t.err = &flushError{fmt.Errorf("cannot append metric rollups: %w", err)}
		return t.err
	}
	t.deltaRows += int64(len(keys))
	clear(t.blocks)
	return nil
}

// rollupCurrent reports whether both rollup tables exist and account for
// every point in metric. It is asked only when the summaries are current, and
// those already compare their sums with the points.
func rollupCurrent(ctx context.Context, q querier) (bool, error) {
	var tables int
	if err := q.QueryRowContext(ctx, `SELECT count(*) FROM information_schema.tables
		WHERE table_schema = 'main' AND table_name IN ('metric_rollup', 'metric_rollup_delta')`).Scan(&tables); err != nil || tables < 2 {
		return false, err
	}
	var current bool
	err := q.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM metric) =
		(SELECT COALESCE(sum(count), 0) FROM (SELECT count FROM metric_rollup UNION ALL SELECT count FROM metric_rollup_delta))`).Scan(&current)
	return current, err
}

// refreshRollups rebuilds the rollups when they do not account for the
// points, or always when force is set (the summaries were rebuilt, so the
// points changed behind the store's back).
func refreshRollups(ctx context.Context, db *sql.DB, force bool) error {
	if !force {
		if current, err := rollupCurrent(ctx, db); err != nil || current {
			return err
		}
	}
	t, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer t.Rollback()
	for _, stmt := range []string{
		`DELETE FROM metric_rollup`,
		`DELETE FROM metric_rollup_delta`,
		`INSERT INTO metric_rollup ` + fmt.Sprintf(rollupFromPoints, "true"),
	} {
		if _, err := t.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("cannot rebuild metric rollups: %w", err)
		}
	}
	return t.Commit()
}

// rollupServes reports whether the rollup can draw a series of span and
// count points at maxPoints: each chart column must span at least two blocks,
// so a block cut by a column's edge moves little, and the series must be
// dense enough that the four points of each block are no more than its
// points (a series logged every 1,000 steps has a block per point).
func rollupServes(span stepSpan, maxPoints int) bool {
	blocks := span.hi>>rollupShift - span.lo>>rollupShift + 1
	width := (span.hi-span.lo)/int64(maxPoints) + 1
	return width >= 2<<rollupShift && 4*blocks <= span.count
}
