-- Per-block rollups of metric series, so a chart of a long history reads a
-- few thousand rows instead of scanning every point (see rollup.go). A block
-- is the points of one series whose step shifted right by 6 is equal: 64
-- consecutive steps. A rollup row keeps the block's point count and four of
-- its points: the first and last by step, the lowest and the highest.
--
-- The writer appends nothing of its own for them: its partial summary rows
-- become one per series and block, carrying the block and the three points a
-- summary lacks, so a commit of single points appends no more rows than
-- before. Compaction folds them into one row per block in metric_rollup.
-- Partial rows written before this migration have no block; metric_rollup is
-- rebuilt from metric at open whenever it and the partial rows do not account
-- for every point. metric_summary gets the same columns, unused, so that a
-- version from before this migration, which reads both tables with SELECT *,
-- can still read and log (its compaction fails and leaves the deltas).

ALTER TABLE metric_summary_delta ADD COLUMN IF NOT EXISTS block BIGINT;
ALTER TABLE metric_summary_delta ADD COLUMN IF NOT EXISTS first_value DOUBLE;
ALTER TABLE metric_summary_delta ADD COLUMN IF NOT EXISTS min_step BIGINT;
ALTER TABLE metric_summary_delta ADD COLUMN IF NOT EXISTS max_step BIGINT;
ALTER TABLE metric_summary ADD COLUMN IF NOT EXISTS block BIGINT;
ALTER TABLE metric_summary ADD COLUMN IF NOT EXISTS first_value DOUBLE;
ALTER TABLE metric_summary ADD COLUMN IF NOT EXISTS min_step BIGINT;
ALTER TABLE metric_summary ADD COLUMN IF NOT EXISTS max_step BIGINT;

CREATE TABLE IF NOT EXISTS metric_rollup (
    iteration_id {{id}} NOT NULL,
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
