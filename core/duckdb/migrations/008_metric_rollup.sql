-- Per-block rollups of metric series, so a chart of a long history reads a
-- few thousand rows instead of scanning every point (see rollup.go). A block
-- is the points of one series whose step shifted right by 6 is equal: 64
-- consecutive steps. Each row keeps the block's point count and four of its
-- points: the first and last by step, the lowest and the highest. As with the
-- summaries, the writer only appends partial rows to metric_rollup_delta and
-- compaction folds them into one row per block in metric_rollup. Both are
-- rebuilt from metric at open when they disagree with it.

CREATE TABLE IF NOT EXISTS metric_rollup (
    iteration_id VARCHAR NOT NULL,
    key TEXT NOT NULL,
    block BIGINT NOT NULL,
    count BIGINT NOT NULL,
    first_step BIGINT NOT NULL,
    first_value DOUBLE NOT NULL,
    min_step BIGINT NOT NULL,
    min_value DOUBLE NOT NULL,
    max_step BIGINT NOT NULL,
    max_value DOUBLE NOT NULL,
    last_step BIGINT NOT NULL,
    last_value DOUBLE NOT NULL
);

CREATE TABLE IF NOT EXISTS metric_rollup_delta (
    iteration_id VARCHAR NOT NULL,
    key TEXT NOT NULL,
    block BIGINT NOT NULL,
    count BIGINT NOT NULL,
    first_step BIGINT NOT NULL,
    first_value DOUBLE NOT NULL,
    min_step BIGINT NOT NULL,
    min_value DOUBLE NOT NULL,
    max_step BIGINT NOT NULL,
    max_value DOUBLE NOT NULL,
    last_step BIGINT NOT NULL,
    last_value DOUBLE NOT NULL
);
