package duckdb

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/deardiary/deardiary-go/core"
)

// newKey returns a UUIDv7 in text form, for names that are not a row's id
// (an artifact's file, a snapshot's staging key); rows get theirs from the
// store's idSource.
func newKey() string {
	return uuid.Must(uuid.NewV7()).String()
}

type scanner interface {
	Scan(dest ...any) error
}

// storedTime reads a stored timestamp. Rows written by other tools may hold
// text we cannot read; such a value reads as unset rather than failing a list.
func storedTime(s string) time.Time {
	t, err := core.ParseTime(s)
	if err != nil {
		return time.Time{}
	}
	return t
}

// nowText is the current time as stored.
func (s *Store) nowText() string { return core.FormatTime(s.now()) }

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// getOne runs a single-row query; no row is a NOT_FOUND for kind and id.
func getOne[T any](ctx context.Context, q querier, scan func(scanner) (*T, error), kind, id, query string, args ...any) (*T, error) {
	v, err := scan(q.QueryRowContext(ctx, query, args...))
	if noRow(err) {
		return nil, core.NotFound(kind, id)
	}
	if err != nil {
		return nil, fold(fmt.Errorf("reading %s %q: %w", kind, id, err))
	}
	return v, nil
}

// list runs a query and scans every row.
func list[T any](ctx context.Context, q querier, scan func(scanner) (*T, error), query string, args ...any) ([]*T, error) {
	out := []*T{}
	rows, err := q.QueryContext(ctx, query, args...)
	if notAnID(err) {
		return out, nil // no row of an integer file has that id
	}
	if err != nil {
		return nil, fold(err)
	}
	defer rows.Close()
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// listPage returns one page of `SELECT <columns> FROM <from> ORDER BY <order>`
// and the number of rows without the page, read in one transaction.
func listPage[T any](ctx context.Context, s *Store, scan func(scanner) (*T, error), columns, from, order string, page core.Page, args ...any) ([]*T, int, error) {
	var (
		items []*T
		total int
	)
	err := s.read(ctx, func(q querier) error {
		err := q.QueryRowContext(ctx, "SELECT count(*) FROM "+from, args...).Scan(&total)
		if notAnID(err) {
			items = []*T{} // no row of an integer file has that id
			return nil
		}
		if err != nil {
			return err
		}
		query := "SELECT " + columns + " FROM " + from + " ORDER BY " + order
		if page.Limit > 0 {
			query += fmt.Sprintf(" LIMIT %d", page.Limit)
		}
		if page.Offset > 0 {
			query += fmt.Sprintf(" OFFSET %d", page.Offset)
		}
		items, err = list(ctx, q, scan, query, args...)
		return err
	})
	return items, total, err
}

// exists reports whether a row with the given id is in table.
func exists(ctx context.Context, q querier, table, id string) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, "SELECT count(*) FROM "+table+" WHERE id = ?", id).Scan(&n)
	if notAnID(err) {
		return false, nil
	}
	return n > 0, err
}

// placeholders returns "?, ?, ?" for n values.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

func anySlice[T any](xs []T) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}

// changes collects the SET clause of a partial update.
type changes struct {
	cols []string
	args []any
}

func (c *changes) set(col string, v any) {
	c.cols = append(c.cols, col+" = ?")
	c.args = append(c.args, v)
}

func (c *changes) empty() bool { return len(c.cols) == 0 }

// apply runs UPDATE table SET ... WHERE id = ?; nothing to set is a no-op.
func (c *changes) apply(ctx context.Context, q querier, table, id string) error {
	if c.empty() {
		return nil
	}
	_, err := q.ExecContext(ctx, "UPDATE "+table+" SET "+strings.Join(c.cols, ", ")+" WHERE id = ?", append(c.args, id)...)
	return err
}

// fold turns a driver error the store did not foresee (a constraint
// violation, text DuckDB cannot bind, a full disk, memory run out) into a
// typed error; others pass through as internal. write and read fold what
// their functions return, and getOne and list what they read outside them.
func fold(err error) error {
	var typed *core.Error
	if err == nil || errors.As(err, &typed) {
		return err
	}
	msg := err.Error()
	if trouble := diskTrouble(msg); trouble != "" {
		return &core.Error{Code: core.EStorage, Message: "cannot write the database: " + trouble + "; nothing of this write was kept", Err: err}
	}
	switch {
	case strings.Contains(msg, "Out of Memory Error"):
		return &core.Error{Code: core.EInternal, Message: "the database ran out of memory for this request; raise its memory limit (ddd: DEARDIARY_DB_MEMORY_LIMIT)", Err: err}
	case strings.Contains(msg, "violates unique constraint"), strings.Contains(msg, "violates primary key constraint"):
		return &core.Error{Code: core.EConflict, Message: "an entity with these values already exists", Err: err}
	case strings.Contains(msg, "CHECK constraint failed"), strings.Contains(msg, "NOT NULL constraint failed"):
		return &core.Error{Code: core.EInvalid, Message: "a value is missing or out of range", Err: err}
	case notAnID(err):
		return &core.Error{Code: core.ENotFound, Message: "no entity has that id: this database's ids are whole numbers", Err: err}
	case strings.Contains(msg, "could not bind parameter"):
		// The driver refuses text that is not valid UTF-8 before sending it.
		return &core.Error{Code: core.EInvalid, Message: "a text value is not valid UTF-8", Err: err}
	}
	return err
}

// diskTrouble says what is wrong with the disk under the database, when a
// driver error comes from there, and is empty otherwise.
func diskTrouble(msg string) string {
	switch {
	case strings.Contains(msg, "No space left on device"), strings.Contains(msg, "File too large"), strings.Contains(msg, "Disk quota exceeded"):
		return "its disk is full"
	case strings.Contains(msg, "Read-only file system"):
		return "its file system is read-only"
	case strings.Contains(msg, "Permission denied"):
		return "permission denied"
	}
	return ""
}
