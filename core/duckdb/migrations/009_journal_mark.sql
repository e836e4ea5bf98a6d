-- The last journal record whose points are in the database (see journal.go).
-- The transaction that takes a journal's points in writes it, so a replay
-- after a crash knows which records are already here. Older versions neither
-- read nor write it; they commit every write and never leave a journal.

CREATE TABLE IF NOT EXISTS journal_mark (drained UBIGINT NOT NULL);
INSERT INTO journal_mark SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM journal_mark);
