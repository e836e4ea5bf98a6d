-- The last version number handed out per model, so numbers are never reused
-- after the newest version is deleted.

CREATE TABLE IF NOT EXISTS model_version_counter (
    model_id {{id}} PRIMARY KEY,
    last_version BIGINT NOT NULL
);
