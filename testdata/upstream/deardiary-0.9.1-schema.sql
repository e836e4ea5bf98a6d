-- The schema DearDiary.jl 0.9.1 (tag v0.9.1, what `] add DearDiary` installs)
-- creates: one sequence per table, BIGINT ids taking nextval of their
-- table's sequence, BIGINT references, foreign keys declared, a primary key
-- on metric. Written out by hand from the release, independently of the
-- store's own code, so tests that build a released-0.9.1 file from it check
-- the store against upstream rather than against itself.

CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL);

CREATE SEQUENCE IF NOT EXISTS seq_user START 1;
CREATE SEQUENCE IF NOT EXISTS seq_project START 1;
CREATE SEQUENCE IF NOT EXISTS seq_user_permission START 1;
CREATE SEQUENCE IF NOT EXISTS seq_experiment START 1;
CREATE SEQUENCE IF NOT EXISTS seq_iteration START 1;
CREATE SEQUENCE IF NOT EXISTS seq_parameter START 1;
CREATE SEQUENCE IF NOT EXISTS seq_metric START 1;
CREATE SEQUENCE IF NOT EXISTS seq_resource START 1;
CREATE SEQUENCE IF NOT EXISTS seq_tag START 1;
CREATE SEQUENCE IF NOT EXISTS seq_project_tag START 1;
CREATE SEQUENCE IF NOT EXISTS seq_experiment_tag START 1;
CREATE SEQUENCE IF NOT EXISTS seq_iteration_tag START 1;
CREATE SEQUENCE IF NOT EXISTS seq_model START 1;
CREATE SEQUENCE IF NOT EXISTS seq_model_version START 1;

CREATE TABLE "user" (
    id BIGINT PRIMARY KEY DEFAULT nextval('seq_user'),
    first_name TEXT,
    last_name TEXT,
    username TEXT NOT NULL UNIQUE CHECK (username <> ''),
    password TEXT NOT NULL CHECK (password <> ''),
    created_date TEXT NOT NULL CHECK (created_date <> ''),
    is_admin BIGINT DEFAULT 0
);

CREATE TABLE project (
    id BIGINT PRIMARY KEY DEFAULT nextval('seq_project'),
    name TEXT NOT NULL CHECK (name <> ''),
    description TEXT DEFAULT '',
    created_date TEXT NOT NULL
);

CREATE TABLE user_permission (
    id BIGINT PRIMARY KEY DEFAULT nextval('seq_user_permission'),
    user_id BIGINT NOT NULL,
    project_id BIGINT NOT NULL,
    create_permission BIGINT DEFAULT 0,
    read_permission BIGINT DEFAULT 1,
    update_permission BIGINT DEFAULT 0,
    delete_permission BIGINT DEFAULT 0,
    UNIQUE (user_id, project_id),
    FOREIGN KEY (user_id) REFERENCES "user"(id),
    FOREIGN KEY (project_id) REFERENCES project(id)
);

CREATE TABLE experiment (
    id BIGINT PRIMARY KEY DEFAULT nextval('seq_experiment'),
    project_id BIGINT NOT NULL,
    status_id BIGINT NOT NULL CHECK (status_id IN (1, 2, 3)),
    name TEXT NOT NULL CHECK (name <> ''),
    description TEXT DEFAULT '',
    created_date TEXT NOT NULL,
    end_date TEXT DEFAULT '',
    FOREIGN KEY (project_id) REFERENCES project(id)
);

CREATE TABLE iteration (
    id BIGINT PRIMARY KEY DEFAULT nextval('seq_iteration'),
    experiment_id BIGINT NOT NULL,
    notes TEXT DEFAULT '',
    created_date TEXT NOT NULL,
    end_date TEXT DEFAULT '',
    parent_iteration_id BIGINT DEFAULT NULL,
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
    id BIGINT PRIMARY KEY DEFAULT nextval('seq_parameter'),
    iteration_id BIGINT NOT NULL,
    key TEXT NOT NULL CHECK (key <> ''),
    value TEXT NOT NULL CHECK (value <> ''),
    FOREIGN KEY (iteration_id) REFERENCES iteration(id)
);

CREATE TABLE metric (
    id BIGINT PRIMARY KEY DEFAULT nextval('seq_metric'),
    iteration_id BIGINT NOT NULL,
    key TEXT NOT NULL CHECK (key <> ''),
    value DOUBLE NOT NULL,
    step BIGINT NOT NULL DEFAULT 0,
    recorded_at TEXT NOT NULL CHECK (recorded_at <> ''),
    FOREIGN KEY (iteration_id) REFERENCES iteration(id)
);

CREATE TABLE resource (
    id BIGINT PRIMARY KEY DEFAULT nextval('seq_resource'),
    experiment_id BIGINT NOT NULL,
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
    id BIGINT PRIMARY KEY DEFAULT nextval('seq_tag'),
    value TEXT NOT NULL UNIQUE CHECK (value <> '')
);

CREATE TABLE project_tag (
    id BIGINT PRIMARY KEY DEFAULT nextval('seq_project_tag'),
    project_id BIGINT NOT NULL,
    tag_id BIGINT NOT NULL,
    UNIQUE (project_id, tag_id),
    FOREIGN KEY (project_id) REFERENCES project(id),
    FOREIGN KEY (tag_id) REFERENCES tag(id)
);

CREATE TABLE experiment_tag (
    id BIGINT PRIMARY KEY DEFAULT nextval('seq_experiment_tag'),
    experiment_id BIGINT NOT NULL,
    tag_id BIGINT NOT NULL,
    UNIQUE (experiment_id, tag_id),
    FOREIGN KEY (experiment_id) REFERENCES experiment(id),
    FOREIGN KEY (tag_id) REFERENCES tag(id)
);

CREATE TABLE iteration_tag (
    id BIGINT PRIMARY KEY DEFAULT nextval('seq_iteration_tag'),
    iteration_id BIGINT NOT NULL,
    tag_id BIGINT NOT NULL,
    UNIQUE (iteration_id, tag_id),
    FOREIGN KEY (iteration_id) REFERENCES iteration(id),
    FOREIGN KEY (tag_id) REFERENCES tag(id)
);

CREATE TABLE model (
    id BIGINT PRIMARY KEY DEFAULT nextval('seq_model'),
    project_id BIGINT NOT NULL,
    name TEXT NOT NULL CHECK (name <> ''),
    description TEXT DEFAULT '',
    created_date TEXT NOT NULL,
    updated_date TEXT DEFAULT '',
    UNIQUE (project_id, name),
    FOREIGN KEY (project_id) REFERENCES project(id)
);

CREATE TABLE model_version (
    id BIGINT PRIMARY KEY DEFAULT nextval('seq_model_version'),
    model_id BIGINT NOT NULL,
    version BIGINT NOT NULL CHECK (version > 0),
    iteration_id BIGINT NOT NULL,
    resource_id BIGINT DEFAULT NULL,
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
