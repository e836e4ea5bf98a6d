-- One row per (iteration, key): what a run table shows, kept current by the
-- store's writer so summaries never read full histories. "last" is the value
-- at the largest (step, recorded_at). Rebuilt from metric at open whenever the
-- point counts disagree (for example after DearDiary.jl wrote to the file).

CREATE TABLE IF NOT EXISTS metric_summary (
    iteration_id VARCHAR NOT NULL,
    key TEXT NOT NULL,
    count BIGINT NOT NULL,
    min_value DOUBLE NOT NULL,
    max_value DOUBLE NOT NULL,
    last_value DOUBLE NOT NULL,
    last_step BIGINT NOT NULL,
    last_recorded_at TEXT NOT NULL,
    PRIMARY KEY (iteration_id, key)
);
