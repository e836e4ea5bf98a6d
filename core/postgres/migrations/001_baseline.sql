-- DearDiary.jl's baseline schema on PostgreSQL: the same tables, columns,
-- types and defaults as upstream's (and core/duckdb's), so a straight copy
-- between stores works and SQL written against one reads the other. What
-- PostgreSQL adds:
--
-- * FOREIGN KEYs with the cascades the store promises (docs/core.md,
--   "Cascades"): deleting a parent deletes its children in the same
--   statement, children of a deleted iteration become drivers, versions keep
--   going without a deleted resource. A tag still attached cannot be
--   deleted, as upstream's keys have it. Upstream declares the same keys
--   without actions (DuckDB cannot cascade); core/duckdb runs the cascades
--   itself.
-- * A PRIMARY KEY on metric (upstream has one; core/duckdb drops it for
--   load speed) and indexes for the lookups and cascades each key needs.
-- * CHECKs on the 0/1 columns that hold booleans.
-- * COLLATE "C" on text: ids, keys and timestamps sort byte by byte, as in
--   DuckDB, whatever the database's locale, and compare faster.
--
-- Ids are UUID text. The store makes UUIDv7 ids in Go; the defaults serve
-- SQL written against upstream's schema, which leaves ids to the database.

CREATE TABLE "user" (
    id VARCHAR COLLATE "C" PRIMARY KEY DEFAULT gen_random_uuid()::VARCHAR,
    first_name TEXT COLLATE "C",
    last_name TEXT COLLATE "C",
    username TEXT COLLATE "C" NOT NULL UNIQUE CHECK (username <> ''),
    password TEXT COLLATE "C" NOT NULL CHECK (password <> ''),
    created_date TEXT COLLATE "C" NOT NULL CHECK (created_date <> ''),
    is_admin BIGINT DEFAULT 0 CHECK (is_admin IN (0, 1))
);

CREATE TABLE project (
    id VARCHAR COLLATE "C" PRIMARY KEY DEFAULT gen_random_uuid()::VARCHAR,
    name TEXT COLLATE "C" NOT NULL CHECK (name <> ''),
    description TEXT COLLATE "C" DEFAULT '',
    created_date TEXT COLLATE "C" NOT NULL
);

CREATE TABLE user_permission (
    id VARCHAR COLLATE "C" PRIMARY KEY DEFAULT gen_random_uuid()::VARCHAR,
    user_id VARCHAR COLLATE "C" NOT NULL REFERENCES "user" (id) ON DELETE CASCADE,
    project_id VARCHAR COLLATE "C" NOT NULL REFERENCES project (id) ON DELETE CASCADE,
    create_permission BIGINT DEFAULT 0 CHECK (create_permission IN (0, 1)),
    read_permission BIGINT DEFAULT 1 CHECK (read_permission IN (0, 1)),
    update_permission BIGINT DEFAULT 0 CHECK (update_permission IN (0, 1)),
    delete_permission BIGINT DEFAULT 0 CHECK (delete_permission IN (0, 1)),
    UNIQUE (user_id, project_id)
);
CREATE INDEX user_permission_project ON user_permission (project_id);

CREATE TABLE experiment (
    id VARCHAR COLLATE "C" PRIMARY KEY DEFAULT gen_random_uuid()::VARCHAR,
    project_id VARCHAR COLLATE "C" NOT NULL REFERENCES project (id) ON DELETE CASCADE,
    status_id BIGINT NOT NULL CHECK (status_id IN (1, 2, 3)),
    name TEXT COLLATE "C" NOT NULL CHECK (name <> ''),
    description TEXT COLLATE "C" DEFAULT '',
    created_date TEXT COLLATE "C" NOT NULL,
    end_date TEXT COLLATE "C" DEFAULT ''
);
CREATE INDEX experiment_project ON experiment (project_id, created_date, id);

CREATE TABLE iteration (
    id VARCHAR COLLATE "C" PRIMARY KEY DEFAULT gen_random_uuid()::VARCHAR,
    experiment_id VARCHAR COLLATE "C" NOT NULL REFERENCES experiment (id) ON DELETE CASCADE,
    notes TEXT COLLATE "C" DEFAULT '',
    created_date TEXT COLLATE "C" NOT NULL,
    end_date TEXT COLLATE "C" DEFAULT '',
    parent_iteration_id VARCHAR COLLATE "C" DEFAULT NULL REFERENCES iteration (id) ON DELETE SET NULL,
    status_id BIGINT NOT NULL DEFAULT 1 CHECK (status_id IN (1, 2, 3, 4)),
    error_message TEXT COLLATE "C" DEFAULT '',
    julia_version TEXT COLLATE "C" DEFAULT '',
    git_sha TEXT COLLATE "C" DEFAULT '',
    git_dirty BIGINT NOT NULL DEFAULT 0 CHECK (git_dirty IN (0, 1)),
    entrypoint TEXT COLLATE "C" DEFAULT '',
    project_toml TEXT COLLATE "C" DEFAULT '',
    manifest_toml TEXT COLLATE "C" DEFAULT ''
);
CREATE INDEX iteration_experiment ON iteration (experiment_id, created_date, id);
CREATE INDEX iteration_parent ON iteration (parent_iteration_id) WHERE parent_iteration_id IS NOT NULL;

CREATE TABLE parameter (
    id VARCHAR COLLATE "C" PRIMARY KEY DEFAULT gen_random_uuid()::VARCHAR,
    iteration_id VARCHAR COLLATE "C" NOT NULL REFERENCES iteration (id) ON DELETE CASCADE,
    key TEXT COLLATE "C" NOT NULL CHECK (key <> ''),
    value TEXT COLLATE "C" NOT NULL CHECK (value <> '')
);
CREATE INDEX parameter_iteration ON parameter (iteration_id, key);

CREATE TABLE metric (
    id VARCHAR COLLATE "C" PRIMARY KEY DEFAULT gen_random_uuid()::VARCHAR,
    iteration_id VARCHAR COLLATE "C" NOT NULL REFERENCES iteration (id) ON DELETE CASCADE,
    key TEXT COLLATE "C" NOT NULL CHECK (key <> ''),
    value DOUBLE PRECISION NOT NULL,
    step BIGINT NOT NULL DEFAULT 0,
    recorded_at TEXT COLLATE "C" NOT NULL CHECK (recorded_at <> '')
);
-- A series in step order, its values in the index: histories and charts
-- read it without visiting the table once autovacuum has marked it visible.
CREATE INDEX metric_series ON metric (iteration_id, key, step) INCLUDE (value);

CREATE TABLE resource (
    id VARCHAR COLLATE "C" PRIMARY KEY DEFAULT gen_random_uuid()::VARCHAR,
    experiment_id VARCHAR COLLATE "C" NOT NULL REFERENCES experiment (id) ON DELETE CASCADE,
    name TEXT COLLATE "C" NOT NULL CHECK (name <> ''),
    description TEXT COLLATE "C" DEFAULT '',
    data BYTEA DEFAULT NULL,
    created_date TEXT COLLATE "C" NOT NULL,
    updated_date TEXT COLLATE "C" DEFAULT '',
    backend TEXT COLLATE "C" NOT NULL DEFAULT 'inline',
    uri TEXT COLLATE "C" DEFAULT '',
    size_bytes BIGINT NOT NULL DEFAULT 0 CHECK (size_bytes >= 0),
    content_hash TEXT COLLATE "C" DEFAULT ''
);
CREATE INDEX resource_experiment ON resource (experiment_id, created_date, id);

CREATE TABLE tag (
    id VARCHAR COLLATE "C" PRIMARY KEY DEFAULT gen_random_uuid()::VARCHAR,
    value TEXT COLLATE "C" NOT NULL UNIQUE CHECK (value <> '')
);

CREATE TABLE project_tag (
    id VARCHAR COLLATE "C" PRIMARY KEY DEFAULT gen_random_uuid()::VARCHAR,
    project_id VARCHAR COLLATE "C" NOT NULL REFERENCES project (id) ON DELETE CASCADE,
    tag_id VARCHAR COLLATE "C" NOT NULL REFERENCES tag (id),
    UNIQUE (project_id, tag_id)
);
CREATE INDEX project_tag_tag ON project_tag (tag_id);

CREATE TABLE experiment_tag (
    id VARCHAR COLLATE "C" PRIMARY KEY DEFAULT gen_random_uuid()::VARCHAR,
    experiment_id VARCHAR COLLATE "C" NOT NULL REFERENCES experiment (id) ON DELETE CASCADE,
    tag_id VARCHAR COLLATE "C" NOT NULL REFERENCES tag (id),
    UNIQUE (experiment_id, tag_id)
);
CREATE INDEX experiment_tag_tag ON experiment_tag (tag_id);

CREATE TABLE iteration_tag (
    id VARCHAR COLLATE "C" PRIMARY KEY DEFAULT gen_random_uuid()::VARCHAR,
    iteration_id VARCHAR COLLATE "C" NOT NULL REFERENCES iteration (id) ON DELETE CASCADE,
    tag_id VARCHAR COLLATE "C" NOT NULL REFERENCES tag (id),
    UNIQUE (iteration_id, tag_id)
);
CREATE INDEX iteration_tag_tag ON iteration_tag (tag_id);

CREATE TABLE model (
    id VARCHAR COLLATE "C" PRIMARY KEY DEFAULT gen_random_uuid()::VARCHAR,
    project_id VARCHAR COLLATE "C" NOT NULL REFERENCES project (id) ON DELETE CASCADE,
    name TEXT COLLATE "C" NOT NULL CHECK (name <> ''),
    description TEXT COLLATE "C" DEFAULT '',
    created_date TEXT COLLATE "C" NOT NULL,
    updated_date TEXT COLLATE "C" DEFAULT '',
    UNIQUE (project_id, name)
);

CREATE TABLE model_version (
    id VARCHAR COLLATE "C" PRIMARY KEY DEFAULT gen_random_uuid()::VARCHAR,
    model_id VARCHAR COLLATE "C" NOT NULL REFERENCES model (id) ON DELETE CASCADE,
    version BIGINT NOT NULL CHECK (version > 0),
    iteration_id VARCHAR COLLATE "C" NOT NULL REFERENCES iteration (id) ON DELETE CASCADE,
    resource_id VARCHAR COLLATE "C" DEFAULT NULL REFERENCES resource (id) ON DELETE SET NULL,
    stage_id BIGINT NOT NULL CHECK (stage_id IN (1, 2, 3, 4)),
    description TEXT COLLATE "C" DEFAULT '',
    created_date TEXT COLLATE "C" NOT NULL,
    updated_date TEXT COLLATE "C" DEFAULT '',
    UNIQUE (model_id, version)
);
CREATE INDEX model_version_iteration ON model_version (iteration_id);
CREATE INDEX model_version_resource ON model_version (resource_id) WHERE resource_id IS NOT NULL;
-- At most one version of a model in PRODUCTION (stage 3): promoting one
-- archives the incumbent in the same transaction.
CREATE UNIQUE INDEX model_version_production ON model_version (model_id) WHERE stage_id = 3;
