-- One row per series (iteration and key): what a run table shows, kept
-- current by every transaction that writes points, so reads never scan a
-- series. The row is also the series' step counter: a write that gives
-- points automatic steps locks it first (INSERT ... ON CONFLICT DO UPDATE
-- ... RETURNING) and numbers its points from last_step, so steps neither
-- repeat nor skip however many processes write. "last" is the value at the
-- largest step, then the latest recorded_at, then the later write.
-- A row with count 0 exists only inside the transaction that creates it.

CREATE TABLE metric_summary (
    iteration_id VARCHAR COLLATE "C" NOT NULL REFERENCES iteration (id) ON DELETE CASCADE,
    key TEXT COLLATE "C" NOT NULL,
    count BIGINT NOT NULL CHECK (count >= 0),
    min_value DOUBLE PRECISION,
    max_value DOUBLE PRECISION,
    last_value DOUBLE PRECISION,
    first_step BIGINT,
    last_step BIGINT,
    last_recorded_at TEXT COLLATE "C",
    PRIMARY KEY (iteration_id, key)
);
