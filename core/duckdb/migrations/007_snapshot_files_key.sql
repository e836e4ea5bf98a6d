-- A snapshot's files are saved in transactions of up to 8 MiB under a fresh key, and
-- the snapshot row, saved last, names that key (SaveSnapshot): DuckDB holds a
-- transaction's new rows in memory, so a large snapshot saved in one
-- transaction ran past ddd's memory limit. Files saved before this migration
-- are keyed by their iteration's id.

ALTER TABLE iteration_snapshot ADD COLUMN IF NOT EXISTS files_key VARCHAR;
UPDATE iteration_snapshot SET files_key = iteration_id WHERE files_key IS NULL;
