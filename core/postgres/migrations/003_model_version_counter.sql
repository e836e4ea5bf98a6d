-- The last version number handed out per model. CreateModelVersion takes
-- the next one with INSERT ... ON CONFLICT DO UPDATE ... RETURNING, which
-- locks the row until its transaction ends: numbers are never reused after
-- the newest version is deleted, and never handed out twice, whichever
-- process asks.

CREATE TABLE model_version_counter (
    model_id VARCHAR COLLATE "C" PRIMARY KEY REFERENCES model (id) ON DELETE CASCADE,
    last_version BIGINT NOT NULL CHECK (last_version > 0)
);
