-- Environment snapshots (see core.Snapshot): one row per iteration, and its
-- captured files byte for byte. Lists are JSON text. DearDiary.jl's own
-- snapshot columns on iteration are filled too, for Julia captures.

CREATE TABLE IF NOT EXISTS iteration_snapshot (
    iteration_id {{id}} PRIMARY KEY,
    captured_at TEXT NOT NULL,
    runtime TEXT NOT NULL DEFAULT '',
    runtime_version TEXT NOT NULL DEFAULT '',
    runtimes TEXT NOT NULL DEFAULT '[]',
    root TEXT NOT NULL DEFAULT '',
    entrypoint TEXT NOT NULL DEFAULT '',
    git_commit TEXT NOT NULL DEFAULT '',
    git_dirty BIGINT NOT NULL DEFAULT 0,
    git_branch TEXT NOT NULL DEFAULT '',
    git_remote TEXT NOT NULL DEFAULT '',
    git_diff BLOB,
    git_untracked TEXT NOT NULL DEFAULT '[]',
    notes TEXT NOT NULL DEFAULT '[]'
);

CREATE TABLE IF NOT EXISTS iteration_snapshot_file (
    iteration_id VARCHAR NOT NULL,
    path TEXT NOT NULL,
    ecosystem TEXT NOT NULL DEFAULT '',
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    content BLOB,
    skipped TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (iteration_id, path)
);
