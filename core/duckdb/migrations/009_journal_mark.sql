-- The last journal record whose points are in the database (see journal.go).
-- The transaction that takes a journal's points in writes it, so a replay
-- after a crash knows which records are already here. database_id names
-- this database in its journal's header, so a journal is never replayed
-- into a file it was not written for. Older versions neither read nor write
-- it; they commit every write and never leave a journal.

CREATE TABLE IF NOT EXISTS journal_mark (drained UBIGINT NOT NULL, database_id VARCHAR NOT NULL);
INSERT INTO journal_mark SELECT 0, uuid()::VARCHAR WHERE NOT EXISTS (SELECT 1 FROM journal_mark);
