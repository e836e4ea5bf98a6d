package duckdb

import (
	"context"
	"fmt"
)

// A line chart of a long history needs, for each of its columns, the first,
// last, lowest and highest point of that column's step range (M4; see
// bucketExtremes). Computing them scans every point of the series, which for
// ten runs of 100k points is most of a compare screen's time. The rollup
// keeps those four points for every block of 64 consecutive steps, so such a
// chart reduces a few thousand rollup points instead. The writer's partial
// summary rows carry them (one row per series and block a commit touched;
// see blockDelta and migrations/008), and compaction moves them to
// metric_rollup, folded per block among themselves. A block may so have
// several rows there, one from each compaction that touched it: the
// extremes of a block are among those of its parts, so readers fold them
// as they come (rollupPoints), and the counts still add up to the points
// (rollupCurrent).

// rollupShift makes a point's block: its step shifted right by this much
// (an arithmetic shift, so negative steps have blocks of their own).
const rollupShift = 6

type blockKey struct {
	seriesKey
	block int64
}

// rollupList names the columns of metric_rollup, which
// metric_summary_delta has too.
const rollupList = `iteration_id, key, block, count, first_step, first_value,
	min_step, min_value, max_step, max_value, last_step, last_value`

// rollupRows selects the rollup's partial rows: metric_rollup's and the
// writer's delta rows. Delta rows without a block were written before
// migration 008 or moved there from metric_summary by compaction.
const rollupRows = `SELECT ` + rollupList + ` FROM metric_rollup
	UNION ALL SELECT ` + rollupList + ` FROM metric_summary_delta WHERE block IS NOT NULL`

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

// rollupCurrent reports whether the rollup exists and accounts for every
// point in metric. It is asked only when the summaries are current, and
// those already compare their sums with the points.
func rollupCurrent(ctx context.Context, q querier) (bool, error) {
	var tables int
	if err := q.QueryRowContext(ctx, `SELECT count(*) FROM information_schema.columns
		WHERE table_schema = 'main' AND table_name IN ('metric_rollup', 'metric_summary_delta') AND column_name = 'block'`).Scan(&tables); err != nil || tables < 2 {
		return false, err
	}
	var current bool
	err := q.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM metric) = (SELECT COALESCE(sum(count), 0) FROM (`+rollupRows+`))`).Scan(&current)
	return current, err
}

// rebuildRollup computes the rollup afresh from the points. Delta rows lose
// their blocks, which metric_rollup then accounts for.
var rebuildRollup = []string{
	`DELETE FROM metric_rollup`,
	`UPDATE metric_summary_delta SET block = NULL WHERE block IS NOT NULL`,
	`INSERT INTO metric_rollup ` + fmt.Sprintf(rollupFromPoints, "true"),
}

// rollupServes reports whether the rollup can draw a series of span and
// count points at maxPoints: each chart column must span at least two blocks,
// so a block cut by a column's edge moves little, and the series must be
// dense enough that the four points of each block are no more than its
// points (a series logged every 1,000 steps has a block per point).
func rollupServes(span stepSpan, maxPoints int) bool {
	blocks := span.hi>>rollupShift - span.lo>>rollupShift + 1
	width := span.width(maxPoints)
	return width >= 2<<rollupShift && 4*blocks <= span.count
}
