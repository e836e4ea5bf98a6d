-- Per (iteration, key) summaries of metric series: what a run table shows,
-- without reading histories. DuckDB updates rows slowly, so the writer only
-- appends: each commit adds one partial row per series it touched to
-- metric_summary_delta, and compaction periodically folds the deltas into one
-- row per series in metric_summary. A summary is the aggregate of a series'
-- rows in both tables. "last" is the value at the largest
-- (step, recorded_at, seq): later writes win ties. Both tables are rebuilt
-- from metric at open whenever their count, sum of steps and sum of values
-- disagree with it (for example after DearDiary.jl wrote to the file).

CREATE TABLE IF NOT EXISTS metric_summary (
    iteration_id {{id}} NOT NULL,
    key TEXT NOT NULL,
    count BIGINT NOT NULL,
    min_value DOUBLE NOT NULL,
    max_value DOUBLE NOT NULL,
    last_value DOUBLE NOT NULL,
    last_step BIGINT NOT NULL,
    last_recorded_at TEXT NOT NULL,
    last_seq BIGINT NOT NULL,
    step_sum DOUBLE NOT NULL,
    value_sum DOUBLE NOT NULL
);

CREATE TABLE IF NOT EXISTS metric_summary_delta (
    iteration_id {{id}} NOT NULL,
    key TEXT NOT NULL,
    count BIGINT NOT NULL,
    min_value DOUBLE NOT NULL,
    max_value DOUBLE NOT NULL,
    last_value DOUBLE NOT NULL,
    last_step BIGINT NOT NULL,
    last_recorded_at TEXT NOT NULL,
    last_seq BIGINT NOT NULL,
    step_sum DOUBLE NOT NULL,
    value_sum DOUBLE NOT NULL
);
