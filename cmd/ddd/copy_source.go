package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/deardiary/deardiary-go/core/duckdb"
	"github.com/deardiary/deardiary-go/core/postgres"
)

// copyBatch is rows of one table, each a value per column, and where the
// source stands after the last of them: what an interrupted copy resumes
// from.
type copyBatch struct {
	rows  [][]any
	after string
	bytes int
}

// copySource reads a store's rows as they are stored. Its methods are
// called one at a time.
type copySource interface {
	describe() string
	integerIDs() bool
	// has reports whether the source has the table (DearDiary.jl's files
	// lack this project's own).
	has(t *copyTable) bool
	count(ctx context.Context, t *copyTable) (int64, error)
	// scan hands emit the table's rows after the position after, in
	// batches of at most batch rows (and about copyBatchBytes of blobs), in
	// an order that stays the same while the source does not change.
	scan(ctx context.Context, t *copyTable, after string, batch int, emit func(copyBatch) error) error
	// each calls fn with the values of columns of every row of the table.
	each(ctx context.Context, t *copyTable, columns []string, fn func([]any) error) error
	// identity is what tells this store from others: its first user and
	// project, which nothing changes.
	identity(ctx context.Context) (string, error)
	close() error
}

// duckSource reads a DuckDB file, opened read-only. The driver holds a
// query's whole result in memory, so tables are read in ranges of rowid:
// DuckDB finds a range without reading the rest of the table. rowid is
// the order rows were appended in, stable while nobody writes the file
// (and nobody can while it is open here), so a resumed copy checks that
// the last row it copied is still where it was.
type duckSource struct {
	s       *duckdb.Store
	name    string
	columns map[string]map[string]bool // by table, of the file
}

func newDuckSource(ctx context.Context, s *duckdb.Store, name string) (*duckSource, error) {
	d := &duckSource{s: s, name: name, columns: map[string]map[string]bool{}}
	rows, err := s.QueryRaw(ctx, `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'main'`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var table, column string
		if err := rows.Scan(&table, &column); err != nil {
			return nil, err
		}
		if d.columns[table] == nil {
			d.columns[table] = map[string]bool{}
		}
		d.columns[table][column] = true
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, t := range copyTables {
		if !d.has(t) {
			if t.optional {
				continue
			}
			return nil, fmt.Errorf("%s has no table %s: it is not a DearDiary database", name, t.name)
		}
		for _, c := range t.columns {
			if !d.columns[t.name][c] && d.expr(t, c) == c {
				return nil, fmt.Errorf("%s: table %s has no column %s", name, t.name, c)
			}
		}
	}
	return d, nil
}

func (d *duckSource) describe() string      { return d.name }
func (d *duckSource) integerIDs() bool      { return d.s.IntegerIDs() }
func (d *duckSource) close() error          { return d.s.Close() }
func (d *duckSource) has(t *copyTable) bool { return d.columns[t.name] != nil }

// filesKey is the expression for a snapshot's files key: the column, or
// on a file from before migration 007 the iteration's id.
func (d *duckSource) filesKey() string {
	if d.columns["iteration_snapshot"]["files_key"] {
		return "files_key"
	}
	return "CAST(iteration_id AS VARCHAR)"
}

// expr is what the source selects for a column.
func (d *duckSource) expr(t *copyTable, column string) string {
	if t.name == "iteration_snapshot" && column == "files_key" {
		return d.filesKey()
	}
	return column
}

func (d *duckSource) list(t *copyTable, columns []string) string {
	exprs := make([]string, len(columns))
	for i, c := range columns {
		exprs[i] = d.expr(t, c)
	}
	return strings.Join(exprs, ", ")
}

// where is the table's condition, "true" for every row.
func (d *duckSource) where(t *copyTable) string {
	if t.where == "" {
		return "true"
	}
	if strings.Contains(t.where, "iteration_snapshot") && d.columns["iteration_snapshot"] == nil {
		return "false"
	}
	return strings.ReplaceAll(t.where, "files_key", d.filesKey())
}

func (d *duckSource) count(ctx context.Context, t *copyTable) (int64, error) {
	if !d.has(t) {
		return 0, nil
	}
	var n int64
	err := d.queryRow(ctx, []any{&n}, `SELECT count(*) FROM `+t.quoted()+` WHERE `+d.where(t))
	return n, err
}

func (d *duckSource) queryRow(ctx context.Context, dest []any, query string, args ...any) error {
	rows, err := d.s.QueryRaw(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return fmt.Errorf("no row from %s", query)
	}
	if err := rows.Scan(dest...); err != nil {
		return err
	}
	return rows.Close()
}

// duckPosition is where a DuckDB source stands: the rowid of the last row
// copied, and that row's key, to check that it is still there.
type duckPosition struct {
	RowID int64    `json:"rowid"`
	Key   []string `json:"key"`
}

func (d *duckSource) scan(ctx context.Context, t *copyTable, after string, batch int, emit func(copyBatch) error) error {
	if !d.has(t) {
		return nil
	}
	start := int64(0)
	if after != "" {
		var pos duckPosition
		if err := json.Unmarshal([]byte(after), &pos); err != nil {
			return fmt.Errorf("the copy's record of %s cannot be read (%q): start again with an empty target", t.label(), after)
		}
		if err := d.checkPosition(ctx, t, pos); err != nil {
			return err
		}
		start = pos.RowID + 1
	}
	var last int64 = -1
	if err := d.queryRow(ctx, []any{&last}, `SELECT COALESCE(max(rowid), -1) FROM `+t.quoted()); err != nil {
		return err
	}
	ranges, err := d.ranges(ctx, t, start, last, int64(batch))
	if err != nil {
		return err
	}
	keyAt := make([]int, len(t.key))
	for i, k := range t.key {
		keyAt[i] = t.column(k)
	}
	query := `SELECT rowid, ` + d.list(t, t.columns) + ` FROM ` + t.quoted() + ` WHERE rowid >= ? AND rowid < ? AND ` + d.where(t) + ` ORDER BY rowid`
	for _, r := range ranges {
		rows, err := d.s.QueryRaw(ctx, query, r[0], r[1])
		if err != nil {
			return err
		}
		b := copyBatch{}
		var rowid int64
		var key []any
		for rows.Next() {
			values := make([]any, len(t.columns))
			dest := make([]any, len(t.columns)+1)
			dest[0] = &rowid
			for i := range values {
				dest[i+1] = &values[i]
			}
			if err := rows.Scan(dest...); err != nil {
				rows.Close()
				return err
			}
			b.rows = append(b.rows, values)
			b.bytes += rowBytes(values)
			key = key[:0]
			for _, i := range keyAt {
				key = append(key, values[i])
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(b.rows) == 0 {
			continue
		}
		pos, _ := json.Marshal(duckPosition{RowID: rowid, Key: keyTexts(key)})
		b.after = string(pos)
		if err := emit(b); err != nil {
			return err
		}
	}
	return nil
}

// ranges splits rowids from start to last into ranges of a batch each:
// so many rows, or for a table of bytes so many bytes (which it learns
// from the lengths alone).
func (d *duckSource) ranges(ctx context.Context, t *copyTable, start, last, batch int64) ([][2]int64, error) {
	var out [][2]int64
	if t.blob == "" {
		for lo := start; lo <= last; lo += batch {
			out = append(out, [2]int64{lo, lo + batch})
		}
		return out, nil
	}
	rows, err := d.s.QueryRaw(ctx, `SELECT rowid, COALESCE(octet_length(`+t.blob+`), 0) FROM `+t.quoted()+
		` WHERE rowid >= ? AND `+d.where(t)+` ORDER BY rowid`, start)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var (
		lo, n, size  int64 = -1, 0, 0
		rowid, bytes int64
	)
	for rows.Next() {
		if err := rows.Scan(&rowid, &bytes); err != nil {
			return nil, err
		}
		if lo >= 0 && (n >= batch || size+bytes > copyBatchBytes) {
			out = append(out, [2]int64{lo, rowid})
			lo, n, size = -1, 0, 0
		}
		if lo < 0 {
			lo = rowid
		}
		n++
		size += bytes
	}
	if lo >= 0 {
		out = append(out, [2]int64{lo, rowid + 1})
	}
	return out, rows.Err()
}

// checkPosition refuses to resume when the row last copied is no longer at
// its rowid: the file changed since (rows deleted and the table compacted).
func (d *duckSource) checkPosition(ctx context.Context, t *copyTable, pos duckPosition) error {
	key := make([]any, len(t.key))
	dest := make([]any, len(t.key))
	for i := range key {
		dest[i] = &key[i]
	}
	err := d.queryRow(ctx, dest, `SELECT `+d.list(t, t.key)+` FROM `+t.quoted()+` WHERE rowid = ?`, pos.RowID)
	if err != nil || strings.Join(keyTexts(key), "\x00") != strings.Join(pos.Key, "\x00") {
		return fmt.Errorf("%s changed since the interrupted copy (table %s no longer has the row it stopped after): "+
			"start again with an empty target", d.name, t.name)
	}
	return nil
}

func (d *duckSource) each(ctx context.Context, t *copyTable, columns []string, fn func([]any) error) error {
	if !d.has(t) {
		return nil
	}
	var last int64 = -1
	if err := d.queryRow(ctx, []any{&last}, `SELECT COALESCE(max(rowid), -1) FROM `+t.quoted()); err != nil {
		return err
	}
	query := `SELECT ` + d.list(t, columns) + ` FROM ` + t.quoted() + ` WHERE rowid >= ? AND rowid < ? AND ` + d.where(t) + ` ORDER BY rowid`
	const page = 100_000
	for lo := int64(0); lo <= last; lo += page {
		if err := d.eachRow(ctx, len(columns), fn, query, lo, lo+page); err != nil {
			return err
		}
	}
	return nil
}

func (d *duckSource) eachRow(ctx context.Context, n int, fn func([]any) error, query string, args ...any) error {
	rows, err := d.s.QueryRaw(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		values := make([]any, n)
		dest := make([]any, n)
		for i := range values {
			dest[i] = &values[i]
		}
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		if err := fn(values); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (d *duckSource) identity(ctx context.Context) (string, error) {
	var parts []string
	for _, q := range []string{
		`SELECT CAST(id AS VARCHAR) || '/' || username || '/' || created_date FROM "user" ORDER BY id LIMIT 1`,
		`SELECT CAST(id AS VARCHAR) || '/' || name || '/' || created_date FROM project ORDER BY id LIMIT 1`,
	} {
		err := d.eachRow(ctx, 1, func(v []any) error { parts = append(parts, fmt.Sprint(v[0])); return nil }, q)
		if err != nil {
			return "", err
		}
	}
	return strings.Join(parts, "\n"), nil
}

// pgSource reads a PostgreSQL database in one read-only transaction at
// repeatable read: every table, count and id from the same snapshot, while
// others go on writing. Rows stream off the connection in primary key
// order, which is also where an interrupted copy resumes.
type pgSource struct {
	s       *postgres.Store
	name    string
	tx      pgx.Tx
	columns map[string]map[string]bool
}

func newPGSource(ctx context.Context, s *postgres.Store, name string) (*pgSource, error) {
	tx, err := s.Raw().BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, err
	}
	p := &pgSource{s: s, name: name, tx: tx, columns: map[string]map[string]bool{}}
	rows, err := tx.Query(ctx, `SELECT table_name::TEXT, column_name::TEXT FROM information_schema.columns WHERE table_schema = current_schema()`)
	if err != nil {
		p.close()
		return nil, err
	}
	for rows.Next() {
		var table, column string
		if err := rows.Scan(&table, &column); err != nil {
			rows.Close()
			p.close()
			return nil, err
		}
		if p.columns[table] == nil {
			p.columns[table] = map[string]bool{}
		}
		p.columns[table][column] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		p.close()
		return nil, err
	}
	return p, nil
}

func (p *pgSource) describe() string      { return p.name }
func (p *pgSource) integerIDs() bool      { return false }
func (p *pgSource) has(t *copyTable) bool { return p.columns[t.name] != nil }

func (p *pgSource) close() error {
	_ = p.tx.Rollback(context.Background())
	return p.s.Close()
}

func (p *pgSource) where(t *copyTable) string {
	if t.where == "" {
		return "true"
	}
	return t.where
}

func (p *pgSource) count(ctx context.Context, t *copyTable) (int64, error) {
	var n int64
	err := p.tx.QueryRow(ctx, `SELECT count(*) FROM `+t.quoted()+` WHERE `+p.where(t)).Scan(&n)
	return n, err
}

func (p *pgSource) scan(ctx context.Context, t *copyTable, after string, batch int, emit func(copyBatch) error) error {
	query := `SELECT ` + strings.Join(t.columns, ", ") + ` FROM ` + t.quoted() + ` WHERE ` + p.where(t)
	var args []any
	if after != "" {
		var key []string
		if err := json.Unmarshal([]byte(after), &key); err != nil || len(key) != len(t.key) {
			return fmt.Errorf("the copy's record of %s cannot be read (%q): start again with an empty target", t.label(), after)
		}
		marks := make([]string, len(key))
		for i, k := range key {
			marks[i] = fmt.Sprintf("$%d", i+1)
			args = append(args, k)
		}
		query += ` AND (` + strings.Join(t.key, ", ") + `) > (` + strings.Join(marks, ", ") + `)`
	}
	query += ` ORDER BY ` + strings.Join(t.key, ", ")
	rows, err := p.tx.Query(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	keyAt := make([]int, len(t.key))
	for i, k := range t.key {
		keyAt[i] = t.column(k)
	}
	var b copyBatch
	flush := func() error {
		if len(b.rows) == 0 {
			return nil
		}
		last := b.rows[len(b.rows)-1]
		key := make([]any, len(keyAt))
		for i, at := range keyAt {
			key[i] = last[at]
		}
		pos, _ := json.Marshal(keyTexts(key))
		b.after = string(pos)
		err := emit(b)
		b = copyBatch{}
		return err
	}
	for rows.Next() {
		values, err := rows.Values()
		if err != nil {
			return err
		}
		b.rows = append(b.rows, values)
		b.bytes += rowBytes(values)
		if len(b.rows) >= batch || b.bytes >= copyBatchBytes {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return flush()
}

func (p *pgSource) each(ctx context.Context, t *copyTable, columns []string, fn func([]any) error) error {
	rows, err := p.tx.Query(ctx, `SELECT `+strings.Join(columns, ", ")+` FROM `+t.quoted()+` WHERE `+p.where(t))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		values, err := rows.Values()
		if err != nil {
			return err
		}
		if err := fn(values); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (p *pgSource) identity(ctx context.Context) (string, error) {
	var parts []string
	for _, q := range []string{
		`SELECT id || '/' || username || '/' || created_date FROM "user" ORDER BY id LIMIT 1`,
		`SELECT id || '/' || name || '/' || created_date FROM project ORDER BY id LIMIT 1`,
	} {
		var s string
		err := p.tx.QueryRow(ctx, q).Scan(&s)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return "", err
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "\n"), nil
}

// keyTexts is a key as text, how positions record it.
func keyTexts(key []any) []string {
	out := make([]string, len(key))
	for i, v := range key {
		out[i] = idText(v)
	}
	return out
}

// rowBytes is about what a row weighs in memory.
func rowBytes(values []any) int {
	n := 0
	for _, v := range values {
		switch v := v.(type) {
		case []byte:
			n += len(v)
		case string:
			n += len(v)
		default:
			n += 8
		}
	}
	return n
}
