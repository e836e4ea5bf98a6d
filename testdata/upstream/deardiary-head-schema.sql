-- The schema DearDiary.jl's repository head creates (its migration 001
-- "baseline", unreleased): UUID text ids from DuckDB's uuid(), foreign keys
-- declared, a primary key on metric. Tests build upstream-style files from it
-- to show that DearDiary for Go opens them. The released 0.9.1 differs in
-- ids alone: deardiary-0.9.1-schema.sql.

CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL);

CREATE TABLE "user" (
    id VARCHAR PRIMARY KEY DEFAULT uuid(),
    first_name TEXT,
    last_name TEXT,
    username TEXT NOT NULL UNIQUE CHECK (username <> ''),
    password TEXT NOT NULL CHECK (password <> ''),
    created_date TEXT NOT NULL CHECK (created_date <> ''),
    is_admin BIGINT DEFAULT 0
);

CREATE TABLE project (
    id VARCHAR PRIMARY KEY DEFAULT uuid(),
    name TEXT NOT NULL CHECK (name <> ''),
    description TEXT DEFAULT '',
    created_date TEXT NOT NULL
);

CREATE TABLE user_permission (
    id VARCHAR PRIMARY KEY DEFAULT uuid(),
    user_id VARCHAR NOT NULL,
    project_id VARCHAR NOT NULL,
    create_permission BIGINT DEFAULT 0,
    read_permission BIGINT DEFAULT 1,
    update_permission BIGINT DEFAULT 0,
    delete_permission BIGINT DEFAULT 0,
    UNIQUE (user_id, project_id),
    FOREIGN KEY (user_id) REFERENCES "user"(id),
    FOREIGN KEY (project_id) REFERENCES project(id)
);

CREATE TABLE experiment (
    id VARCHAR PRIMARY KEY DEFAULT uuid(),
    project_id VARCHAR NOT NULL,
    status_id BIGINT NOT NULL CHECK (status_id IN (1, 2, 3)),
    name TEXT NOT NULL CHECK (name <> ''),
    description TEXT DEFAULT '',
    created_date TEXT NOT NULL,
    end_date TEXT DEFAULT '',
    FOREIGN KEY (project_id) REFERENCES project(id)
);

CREATE TABLE iteration (
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
    manifest_toml TEXT DEFAULT '',
    FOREIGN KEY (experiment_id) REFERENCES experiment(id),
    FOREIGN KEY (parent_iteration_id) REFERENCES iteration(id)
);

CREATE TABLE parameter (
    id VARCHAR PRIMARY KEY DEFAULT uuid(),
    iteration_id VARCHAR NOT NULL,
    key TEXT NOT NULL CHECK (key <> ''),
    value TEXT NOT NULL CHECK (value <> ''),
    FOREIGN KEY (iteration_id) REFERENCES iteration(id)
);

CREATE TABLE metric (
    id VARCHAR PRIMARY KEY DEFAULT uuid(),
    iteration_id VARCHAR NOT NULL,
    key TEXT NOT NULL CHECK (key <> ''),
    value DOUBLE NOT NULL,
    step BIGINT NOT NULL DEFAULT 0,
    recorded_at TEXT NOT NULL CHECK (recorded_at <> ''),
    FOREIGN KEY (iteration_id) REFERENCES iteration(id)
);

CREATE TABLE resource (
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
    content_hash TEXT DEFAULT '',
    FOREIGN KEY (experiment_id) REFERENCES experiment(id)
);

CREATE TABLE tag (
    id VARCHAR PRIMARY KEY DEFAULT uuid(),
    value TEXT NOT NULL UNIQUE CHECK (value <> '')
);

CREATE TABLE project_tag (
    id VARCHAR PRIMARY KEY DEFAULT uuid(),
    project_id VARCHAR NOT NULL,
    tag_id VARCHAR NOT NULL,
    UNIQUE (project_id, tag_id),
    FOREIGN KEY (project_id) REFERENCES project(id),
    FOREIGN KEY (tag_id) REFERENCES tag(id)
);

CREATE TABLE experiment_tag (
    id VARCHAR PRIMARY KEY DEFAULT uuid(),
    experiment_id VARCHAR NOT NULL,
    tag_id VARCHAR NOT NULL,
    UNIQUE (experiment_id, tag_id),
    FOREIGN KEY (experiment_id) REFERENCES experiment(id),
    FOREIGN KEY (tag_id) REFERENCES tag(id)
);

CREATE TABLE iteration_tag (
    id VARCHAR PRIMARY KEY DEFAULT uuid(),
    iteration_id VARCHAR NOT NULL,
    tag_id VARCHAR NOT NULL,
    UNIQUE (iteration_id, tag_id),
    FOREIGN KEY (iteration_id) REFERENCES iteration(id),
    FOREIGN KEY (tag_id) REFERENCES tag(id)
);

CREATE TABLE model (
    id VARCHAR PRIMARY KEY DEFAULT uuid(),
    project_id VARCHAR NOT NULL,
    name TEXT NOT NULL CHECK (name <> ''),
    description TEXT DEFAULT '',
    created_date TEXT NOT NULL,
    updated_date TEXT DEFAULT '',
    UNIQUE (project_id, name),
    FOREIGN KEY (project_id) REFERENCES project(id)
);

CREATE TABLE model_version (
    id VARCHAR PRIMARY KEY DEFAULT uuid(),
    model_id VARCHAR NOT NULL,
    version BIGINT NOT NULL CHECK (version > 0),
    iteration_id VARCHAR NOT NULL,
    resource_id VARCHAR DEFAULT NULL,
    stage_id BIGINT NOT NULL CHECK (stage_id IN (1, 2, 3, 4)),
    description TEXT DEFAULT '',
    created_date TEXT NOT NULL,
    updated_date TEXT DEFAULT '',
    UNIQUE (model_id, version),
    FOREIGN KEY (model_id) REFERENCES model(id),
    FOREIGN KEY (iteration_id) REFERENCES iteration(id),
    FOREIGN KEY (resource_id) REFERENCES resource(id)
);

INSERT INTO schema_migrations VALUES (1, 'baseline', '2026-06-30T09:15:02.31');
