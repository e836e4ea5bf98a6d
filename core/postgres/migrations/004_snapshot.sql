-- Environment snapshots (see core.Snapshot), in core/duckdb's shape: one
-- row per iteration and its captured files byte for byte, lists as JSON
-- text. A snapshot's files hang off its files_key (core/duckdb stages large
-- snapshots under a fresh key); deleting the iteration deletes the snapshot,
-- and the snapshot its files.

CREATE TABLE iteration_snapshot (
    iteration_id VARCHAR COLLATE "C" PRIMARY KEY REFERENCES iteration (id) ON DELETE CASCADE,
    captured_at TEXT COLLATE "C" NOT NULL,
    runtime TEXT COLLATE "C" NOT NULL DEFAULT '',
    runtime_version TEXT COLLATE "C" NOT NULL DEFAULT '',
    runtimes TEXT COLLATE "C" NOT NULL DEFAULT '[]',
    root TEXT COLLATE "C" NOT NULL DEFAULT '',
    entrypoint TEXT COLLATE "C" NOT NULL DEFAULT '',
    git_commit TEXT COLLATE "C" NOT NULL DEFAULT '',
    git_dirty BIGINT NOT NULL DEFAULT 0 CHECK (git_dirty IN (0, 1)),
    git_branch TEXT COLLATE "C" NOT NULL DEFAULT '',
    git_remote TEXT COLLATE "C" NOT NULL DEFAULT '',
    git_diff BYTEA,
    git_untracked TEXT COLLATE "C" NOT NULL DEFAULT '[]',
    notes TEXT COLLATE "C" NOT NULL DEFAULT '[]',
    files_key VARCHAR COLLATE "C" NOT NULL UNIQUE
);

CREATE TABLE iteration_snapshot_file (
    iteration_id VARCHAR COLLATE "C" NOT NULL REFERENCES iteration_snapshot (files_key) ON DELETE CASCADE,
    path TEXT COLLATE "C" NOT NULL CHECK (path <> ''),
    ecosystem TEXT COLLATE "C" NOT NULL DEFAULT '',
    size_bytes BIGINT NOT NULL CHECK (size_bytes >= 0),
    sha256 TEXT COLLATE "C" NOT NULL,
    content BYTEA,
    skipped TEXT COLLATE "C" NOT NULL DEFAULT '',
    PRIMARY KEY (iteration_id, path)
);
