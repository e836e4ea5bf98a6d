-- The smallest step of each series, so a chart of a long history can split
-- it into equal step ranges without first scanning it for its bounds. The
-- summaries are emptied, and rebuilt from the points when the store opens.

ALTER TABLE metric_summary ADD COLUMN IF NOT EXISTS first_step BIGINT;
ALTER TABLE metric_summary_delta ADD COLUMN IF NOT EXISTS first_step BIGINT;
DELETE FROM metric_summary;
DELETE FROM metric_summary_delta;
