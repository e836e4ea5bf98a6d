-- DearDiary.jl 0.9.1's baseline schema: the same tables, columns, types and
-- defaults, so files stay readable both ways. Two deliberate differences: no
-- FOREIGN KEY declarations (DuckDB can neither cascade them nor delete parent
-- and child in one transaction; the store keeps references intact itself), and
-- no PRIMARY KEY on metric (an index there costs 8x load time and 17x disk).

CREATE TABLE IF NOT EXISTS "user" (
    id VARCHAR PRIMARY KEY DEFAULT uuid(),
    first_name TEXT,
    last_name TEXT,
    username TEXT NOT NULL UNIQUE CHECK (username <> ''),
    password TEXT NOT NULL CHECK (password <> ''),
    created_date TEXT NOT NULL CHECK (created_date <> ''),
    is_admin BIGINT DEFAULT 0
);

CREATE TABLE IF NOT EXISTS project (
    id VARCHAR PRIMARY KEY DEFAULT uuid(),
    name TEXT NOT NULL CHECK (name <> ''),
    description TEXT DEFAULT '',
    created_date TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS user_permission (
    id VARCHAR PRIMARY KEY DEFAULT uuid(),
    user_id VARCHAR NOT NULL,
    project_id VARCHAR NOT NULL,
    create_permission BIGINT DEFAULT 0,
    read_permission BIGINT DEFAULT 1,
    update_permission BIGINT DEFAULT 0,
    delete_permission BIGINT DEFAULT 0,
    UNIQUE (user_id, project_id)
);

CREATE TABLE IF NOT EXISTS experiment (
    id VARCHAR PRIMARY KEY DEFAULT uuid(),
    project_id VARCHAR NOT NULL,
    status_id BIGINT NOT NULL CHECK (status_id IN (1, 2, 3)),
    name TEXT NOT NULL CHECK (name <> ''),
    description TEXT DEFAULT '',
    created_date TEXT NOT NULL,
    end_date TEXT DEFAULT ''
);

CREATE TABLE IF NOT EXISTS iteration (
    id VARCHAR PRIMARY KEY DEFAULT uuid(),
    experiment_id VARCHAR NOT NULL,
    notes TEXT DEFAULT '',
    created_date TEXT NOT NULL,
    end_date TEXT DEFAULT '',
    parent_iteration_id VARCHAR DEFAULT NULL,
    status_id BIGINT NOT NULL DEFAULT 1 CHECK (status_id IN (1, 2, 3, 4)),
    error_message TEXT DEFAULT '',
    julia_version TEXT DEFAULT '',
    git_sha TEXT DEFAULT '',
    git_dirty BIGINT NOT NULL DEFAULT 0,
    entrypoint TEXT DEFAULT '',
    project_toml TEXT DEFAULT '',
    manifest_toml TEXT DEFAULT ''
);

CREATE TABLE IF NOT EXISTS parameter (
    id VARCHAR PRIMARY KEY DEFAULT uuid(),
    iteration_id VARCHAR NOT NULL,
    key TEXT NOT NULL CHECK (key <> ''),
    value TEXT NOT NULL CHECK (value <> '')
);

CREATE TABLE IF NOT EXISTS metric (
    id VARCHAR DEFAULT uuid(),
    iteration_id VARCHAR NOT NULL,
    key TEXT NOT NULL CHECK (key <> ''),
    value DOUBLE NOT NULL,
    step BIGINT NOT NULL DEFAULT 0,
    recorded_at TEXT NOT NULL CHECK (recorded_at <> '')
);

CREATE TABLE IF NOT EXISTS resource (
    id VARCHAR PRIMARY KEY DEFAULT uuid(),
    experiment_id VARCHAR NOT NULL,
    name TEXT NOT NULL CHECK (name <> ''),
    description TEXT DEFAULT '',
    data BLOB DEFAULT NULL,
    created_date TEXT NOT NULL,
    updated_date TEXT DEFAULT '',
    backend TEXT NOT NULL DEFAULT 'inline',
    uri TEXT DEFAULT '',
    size_bytes BIGINT NOT NULL DEFAULT 0,
    content_hash TEXT DEFAULT ''
);

CREATE TABLE IF NOT EXISTS tag (
    id VARCHAR PRIMARY KEY DEFAULT uuid(),
    value TEXT NOT NULL UNIQUE CHECK (value <> '')
);

CREATE TABLE IF NOT EXISTS project_tag (
    id VARCHAR PRIMARY KEY DEFAULT uuid(),
    project_id VARCHAR NOT NULL,
    tag_id VARCHAR NOT NULL,
    UNIQUE (project_id, tag_id)
);

CREATE TABLE IF NOT EXISTS experiment_tag (
    id VARCHAR PRIMARY KEY DEFAULT uuid(),
    experiment_id VARCHAR NOT NULL,
    tag_id VARCHAR NOT NULL,
    UNIQUE (experiment_id, tag_id)
);

CREATE TABLE IF NOT EXISTS iteration_tag (
    id VARCHAR PRIMARY KEY DEFAULT uuid(),
    iteration_id VARCHAR NOT NULL,
    tag_id VARCHAR NOT NULL,
    UNIQUE (iteration_id, tag_id)
);

CREATE TABLE IF NOT EXISTS model (
    id VARCHAR PRIMARY KEY DEFAULT uuid(),
    project_id VARCHAR NOT NULL,
    name TEXT NOT NULL CHECK (name <> ''),
    description TEXT DEFAULT '',
    created_date TEXT NOT NULL,
    updated_date TEXT DEFAULT '',
    UNIQUE (project_id, name)
);

CREATE TABLE IF NOT EXISTS model_version (
    id VARCHAR PRIMARY KEY DEFAULT uuid(),
    model_id VARCHAR NOT NULL,
    version BIGINT NOT NULL CHECK (version > 0),
    iteration_id VARCHAR NOT NULL,
    resource_id VARCHAR DEFAULT NULL,
    stage_id BIGINT NOT NULL CHECK (stage_id IN (1, 2, 3, 4)),
    description TEXT DEFAULT '',
    created_date TEXT NOT NULL,
    updated_date TEXT DEFAULT '',
    UNIQUE (model_id, version)
);
