package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/deardiary/deardiary-go/core/duckdb"
	"github.com/deardiary/deardiary-go/core/postgres"
)

// progressTable is where a copy keeps, in the target, how far it got: one
// row per table, updated in the transaction that writes each batch, so the
// rows and the record of them commit together. Its first row (tbl ”)
// holds the copy's settings. It is dropped once the copy is verified.
const progressTable = "ddd_copy_progress"

const progressDDL = `CREATE TABLE ` + progressTable + ` (tbl VARCHAR PRIMARY KEY, resume_after VARCHAR NOT NULL DEFAULT '',
	copied BIGINT NOT NULL DEFAULT 0, merged BIGINT NOT NULL DEFAULT 0, done BIGINT NOT NULL DEFAULT 0, had BIGINT NOT NULL DEFAULT 0)`

// copyState is what a copy decided when it began, kept for the runs that
// finish it.
type copyState struct {
	Source string `json:"source"`
	// Convert turns the source's integer ids into UUIDs, made with Salt,
	// rows without a date taking Base (Unix ms).
	Convert bool   `json:"convert"`
	Salt    uint64 `json:"salt"`
	Base    int64  `json:"base"`
	Append  bool   `json:"append"`
}

// tableProgress is how far a table got.
type tableProgress struct {
	after  string // the source's position after the last row copied
	copied int64  // rows written
	merged int64  // rows the target had already (--append)
	done   bool
	had    int64 // rows the target held before the copy began
}

type targetUser struct{ id, username, created, password string }

// copyTarget writes a store's rows as they are stored.
type copyTarget interface {
	describe() string
	integerIDs() bool
	// parentsLater reports whether iterations go in without their parents,
	// which a second pass sets (PostgreSQL refuses a child before its
	// parent; rows may come in any order).
	parentsLater() bool
	// load reads the record of a copy under way; nil when there is none.
	load(ctx context.Context) (*copyState, map[string]*tableProgress, error)
	// start records a new copy, with what each table holds now.
	start(ctx context.Context, st *copyState) error
	count(ctx context.Context, t *copyTable) (int64, error)
	users(ctx context.Context) ([]targetUser, error)
	tags(ctx context.Context) (map[string]string, error)
	deleteUser(ctx context.Context, id string) error
	// write adds rows to the table (or, for the parents pass, sets them)
	// and records, in the same transaction, that the copy stands after the
	// source's position after, merged more rows having been found there.
	write(ctx context.Context, t *copyTable, rows [][]any, after string, merged int64) error
	finish(ctx context.Context, t *copyTable) error
	// rebuild makes the derived tables agree with the rows.
	rebuild(ctx context.Context) error
	forget(ctx context.Context) error
	close() error
}

// duckTarget writes a DuckDB file through its store's writer, with the
// Appender; points go in as logged points do, keeping the summaries and
// the rollup current in bounded memory (a rebuild of 10M points' at the
// end took 60 MiB more). rebuild closes the store and opens it again,
// which moves an integer file's sequences past the ids copied (and would
// rebuild stale summaries).
type duckTarget struct {
	s    *duckdb.Store
	path string
	open func() (*duckdb.Store, error)
	// unfolded counts the rows appended since the last checkpoint.
	unfolded int64
}

// checkpointRows is how many rows a DuckDB target takes between
// checkpoints, which bound the rows it holds in memory.
const checkpointRows = 250_000

func newDuckTarget(path string, open func() (*duckdb.Store, error)) (*duckTarget, error) {
	s, err := open()
	if err != nil {
		return nil, err
	}
	return &duckTarget{s: s, path: path, open: open}, nil
}

func (d *duckTarget) describe() string   { return d.path }
func (d *duckTarget) integerIDs() bool   { return d.s.IntegerIDs() }
func (d *duckTarget) parentsLater() bool { return false }
func (d *duckTarget) close() error       { return d.s.Close() }

func (d *duckTarget) queryRow(ctx context.Context, dest []any, query string, args ...any) error {
	rows, err := d.s.QueryRaw(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return errNoRow
	}
	if err := rows.Scan(dest...); err != nil {
		return err
	}
	return rows.Close()
}

var errNoRow = errors.New("no row")

func (d *duckTarget) load(ctx context.Context) (*copyState, map[string]*tableProgress, error) {
	var n int
	if err := d.queryRow(ctx, []any{&n}, `SELECT count(*) FROM information_schema.tables WHERE table_schema = 'main' AND table_name = ?`, progressTable); err != nil || n == 0 {
		return nil, nil, err
	}
	rows, err := d.s.QueryRaw(ctx, `SELECT tbl, resume_after, copied, merged, done, had FROM `+progressTable)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	return readProgress(func() bool { return rows.Next() }, func(dest ...any) error { return rows.Scan(dest...) }, rows.Err)
}

// readProgress reads the progress table's rows, from either store.
func readProgress(next func() bool, scan func(...any) error, done func() error) (*copyState, map[string]*tableProgress, error) {
	var st *copyState
	tables := map[string]*tableProgress{}
	for next() {
		var (
			name string
			p    tableProgress
			fin  int64
		)
		if err := scan(&name, &p.after, &p.copied, &p.merged, &fin, &p.had); err != nil {
			return nil, nil, err
		}
		p.done = fin != 0
		if name == "" {
			st = &copyState{}
			if err := json.Unmarshal([]byte(p.after), st); err != nil {
				return nil, nil, fmt.Errorf("the record of the copy under way cannot be read: %w", err)
			}
			continue
		}
		tables[name] = &p
	}
	if err := done(); err != nil {
		return nil, nil, err
	}
	if st == nil {
		return nil, nil, errors.New("the record of the copy under way has no settings: drop table " + progressTable + " and start again with an empty target")
	}
	return st, tables, nil
}

func (d *duckTarget) start(ctx context.Context, st *copyState) error {
	settings, _ := json.Marshal(st)
	return d.s.WriteRaw(ctx, func(tx *duckdb.RawTx) error {
		if _, err := tx.Exec(progressDDL); err != nil {
			return err
		}
		if _, err := tx.Exec(`INSERT INTO `+progressTable+` (tbl, resume_after) VALUES ('', ?)`, string(settings)); err != nil {
			return err
		}
		for _, t := range copyTables {
			var n int64
			if err := tx.QueryRow(`SELECT count(*) FROM ` + t.quoted() + ` WHERE ` + targetWhere(t)).Scan(&n); err != nil {
				return err
			}
			if _, err := tx.Exec(`INSERT INTO `+progressTable+` (tbl, had) VALUES (?, ?)`, t.label(), n); err != nil {
				return err
			}
		}
		return nil
	})
}

// targetWhere is a table's condition in a target, whose schema is current.
func targetWhere(t *copyTable) string {
	if t.where == "" {
		return "true"
	}
	return t.where
}

func (d *duckTarget) count(ctx context.Context, t *copyTable) (int64, error) {
	var n int64
	err := d.queryRow(ctx, []any{&n}, `SELECT count(*) FROM `+t.quoted()+` WHERE `+targetWhere(t))
	return n, err
}

func (d *duckTarget) users(ctx context.Context) ([]targetUser, error) {
	rows, err := d.s.QueryRaw(ctx, `SELECT CAST(id AS VARCHAR), username, created_date, password FROM "user"`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []targetUser
	for rows.Next() {
		var u targetUser
		if err := rows.Scan(&u.id, &u.username, &u.created, &u.password); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

func (d *duckTarget) tags(ctx context.Context) (map[string]string, error) {
	rows, err := d.s.QueryRaw(ctx, `SELECT CAST(id AS VARCHAR), value FROM tag`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id, value string
		if err := rows.Scan(&id, &value); err != nil {
			return nil, err
		}
		out[value] = id
	}
	return out, rows.Err()
}

func (d *duckTarget) deleteUser(ctx context.Context, id string) error {
	return d.s.WriteRaw(ctx, func(tx *duckdb.RawTx) error {
		_, err := tx.Exec(`DELETE FROM "user" WHERE CAST(id AS VARCHAR) = ?`, id)
		return err
	})
}

func (d *duckTarget) write(ctx context.Context, t *copyTable, rows [][]any, after string, merged int64) error {
	if t.parents {
		return errors.New("a DuckDB target takes iterations with their parents")
	}
	fold := d.unfolded+int64(len(rows)) >= checkpointRows
	err := d.s.WriteRaw(ctx, func(tx *duckdb.RawTx) error {
		var err error
		switch {
		case len(rows) == 0:
		case t.name == "metric":
			err = tx.AppendPoints(rows)
		default:
			err = tx.Append(t.name, t.columns, rows)
		}
		if err != nil {
			return err
		}
		if fold {
			tx.Checkpoint()
		}
		_, err = tx.Exec(`UPDATE `+progressTable+` SET resume_after = ?, copied = copied + ?, merged = merged + ? WHERE tbl = ?`,
			after, int64(len(rows)), merged, t.label())
		return err
	})
	if err == nil {
		d.unfolded += int64(len(rows))
		if fold {
			d.unfolded = 0
		}
	}
	return err
}

func (d *duckTarget) finish(ctx context.Context, t *copyTable) error {
	return d.s.WriteRaw(ctx, func(tx *duckdb.RawTx) error {
		_, err := tx.Exec(`UPDATE `+progressTable+` SET done = 1 WHERE tbl = ?`, t.label())
		return err
	})
}

func (d *duckTarget) rebuild(context.Context) error {
	if err := d.s.Close(); err != nil {
		return err
	}
	s, err := d.open()
	if err != nil {
		return err
	}
	d.s = s
	return nil
}

func (d *duckTarget) forget(ctx context.Context) error {
	return d.s.WriteRaw(ctx, func(tx *duckdb.RawTx) error {
		_, err := tx.Exec(`DROP TABLE IF EXISTS ` + progressTable)
		return err
	})
}

// pgTarget writes a PostgreSQL database with COPY, a transaction per
// batch, then summarises the points it copied.
type pgTarget struct {
	s    *postgres.Store
	name string
}

func (p *pgTarget) describe() string   { return p.name }
func (p *pgTarget) integerIDs() bool   { return false }
func (p *pgTarget) parentsLater() bool { return true }
func (p *pgTarget) close() error       { return p.s.Close() }

func (p *pgTarget) load(ctx context.Context) (*copyState, map[string]*tableProgress, error) {
	var exists bool
	if err := p.s.Raw().QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, progressTable).Scan(&exists); err != nil || !exists {
		return nil, nil, err
	}
	rows, err := p.s.Raw().Query(ctx, `SELECT tbl, resume_after, copied, merged, done, had FROM `+progressTable)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	return readProgress(rows.Next, rows.Scan, rows.Err)
}

func (p *pgTarget) start(ctx context.Context, st *copyState) error {
	settings, _ := json.Marshal(st)
	return pgx.BeginFunc(ctx, p.s.Raw(), func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, progressDDL); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO `+progressTable+` (tbl, resume_after) VALUES ('', $1)`, string(settings)); err != nil {
			return err
		}
		for _, t := range copyTables {
			if _, err := tx.Exec(ctx, `INSERT INTO `+progressTable+` (tbl, had) SELECT $1, count(*) FROM `+t.quoted()+` WHERE `+targetWhere(t), t.label()); err != nil {
				return err
			}
		}
		return nil
	})
}

func (p *pgTarget) count(ctx context.Context, t *copyTable) (int64, error) {
	var n int64
	err := p.s.Raw().QueryRow(ctx, `SELECT count(*) FROM `+t.quoted()+` WHERE `+targetWhere(t)).Scan(&n)
	return n, err
}

func (p *pgTarget) users(ctx context.Context) ([]targetUser, error) {
	rows, err := p.s.Raw().Query(ctx, `SELECT id, username, created_date, password FROM "user"`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []targetUser
	for rows.Next() {
		var u targetUser
		if err := rows.Scan(&u.id, &u.username, &u.created, &u.password); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

func (p *pgTarget) tags(ctx context.Context) (map[string]string, error) {
	rows, err := p.s.Raw().Query(ctx, `SELECT id, value FROM tag`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id, value string
		if err := rows.Scan(&id, &value); err != nil {
			return nil, err
		}
		out[value] = id
	}
	return out, rows.Err()
}

func (p *pgTarget) deleteUser(ctx context.Context, id string) error {
	_, err := p.s.Raw().Exec(ctx, `DELETE FROM "user" WHERE id = $1`, id)
	return err
}

func (p *pgTarget) write(ctx context.Context, t *copyTable, rows [][]any, after string, merged int64) error {
	return pgx.BeginFunc(ctx, p.s.Raw(), func(tx pgx.Tx) error {
		switch {
		case len(rows) == 0:
		case t.parents:
			ids, parents := make([]any, len(rows)), make([]any, len(rows))
			for i, r := range rows {
				ids[i], parents[i] = r[0], r[1]
			}
			if _, err := tx.Exec(ctx, `UPDATE iteration i SET parent_iteration_id = v.p
				FROM unnest($1::TEXT[], $2::TEXT[]) AS v(id, p) WHERE i.id = v.id`, ids, parents); err != nil {
				return err
			}
		default:
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{t.name}, t.columns, pgx.CopyFromRows(rows)); err != nil {
				return err
			}
		}
		_, err := tx.Exec(ctx, `UPDATE `+progressTable+` SET resume_after = $1, copied = copied + $2, merged = merged + $3 WHERE tbl = $4`,
			after, int64(len(rows)), merged, t.label())
		return err
	})
}

func (p *pgTarget) finish(ctx context.Context, t *copyTable) error {
	_, err := p.s.Raw().Exec(ctx, `UPDATE `+progressTable+` SET done = 1 WHERE tbl = $1`, t.label())
	return err
}

func (p *pgTarget) rebuild(ctx context.Context) error {
	_, err := p.s.RebuildSummaries(ctx)
	return err
}

func (p *pgTarget) forget(ctx context.Context) error {
	_, err := p.s.Raw().Exec(ctx, `DROP TABLE IF EXISTS `+progressTable)
	return err
}
