package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/deardiary/deardiary-go/core"
)

// querier is what read helpers need; the pool and a transaction both
// provide it, so one helper serves reads and writes.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

type scanner interface {
	Scan(dest ...any) error
}

// newID returns a UUIDv7 in text form: ids are made in Go, time-ordered,
// and within a process strictly increasing, so ordering by id is ordering by
// creation (what DuckDB's rowid gives core/duckdb's lists).
func newID() string {
	return uuid.Must(uuid.NewV7()).String()
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

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func noRow(err error) bool { return errors.Is(err, pgx.ErrNoRows) }

// getOne runs a single-row query; no row is a NOT_FOUND for kind and id.
func getOne[T any](ctx context.Context, q querier, scan func(scanner) (*T, error), kind, id, query string, args ...any) (*T, error) {
	if !storable(id) {
		// Not NOT_FOUND: for a user that would read as USER_NOT_FOUND,
		// which is about a name, not about text that can name nothing.
		return nil, core.Invalid("%s id %q is not text PostgreSQL can hold", kind, id)
	}
	v, err := scan(q.QueryRow(ctx, query, args...))
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
	rows, err := q.Query(ctx, query, args...)
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
	return out, fold(rows.Err())
}

// withTotal scans a row whose first column is the total of a page.
type withTotal struct {
	r     scanner
	total *int
}

func (w withTotal) Scan(dest ...any) error {
	return w.r.Scan(append([]any{w.total}, dest...)...)
}

// listPage returns one page of `SELECT <columns> FROM <from> ORDER BY <order>`
// and the number of rows without the page. One query answers both, counting
// in a window before the limit; only a page past the end, which has no row
// to carry the count, asks again.
func listPage[T any](ctx context.Context, q querier, scan func(scanner) (*T, error), columns, from, order string, page core.Page, args ...any) ([]*T, int, error) {
	query := "SELECT count(*) OVER (), " + columns + " FROM " + from + " ORDER BY " + order
	if page.Limit > 0 {
		query += " LIMIT " + strconv.Itoa(page.Limit)
	}
	if page.Offset > 0 {
		query += " OFFSET " + strconv.Itoa(page.Offset)
	}
	total := 0
	items, err := list(ctx, q, func(r scanner) (*T, error) { return scan(withTotal{r, &total}) }, query, args...)
	if err != nil {
		return nil, 0, err
	}
	if len(items) == 0 && page.Offset > 0 {
		if err := q.QueryRow(ctx, "SELECT count(*) FROM "+from, args...).Scan(&total); err != nil {
			return nil, 0, fold(err)
		}
	}
	return items, total, nil
}

// exists reports whether a row with the given id is in table.
func exists(ctx context.Context, q querier, table, id string) (bool, error) {
	if !storable(id) {
		return false, nil
	}
	var found bool
	err := q.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM "+table+" WHERE id = $1)", id).Scan(&found)
	return found, err
}

// changes collects the SET clause of a partial update.
type changes struct {
	cols []string
	args []any
}

func (c *changes) set(col string, v any) {
	c.args = append(c.args, v)
	c.cols = append(c.cols, col+" = $"+strconv.Itoa(len(c.args)))
}

func (c *changes) empty() bool { return len(c.cols) == 0 }

// apply runs UPDATE table SET ... WHERE id = ...; nothing to set is a no-op.
func (c *changes) apply(t *tx, table, id string) error {
	if c.empty() {
		return nil
	}
	_, err := t.Exec(t.ctx, "UPDATE "+table+" SET "+strings.Join(c.cols, ", ")+" WHERE id = $"+strconv.Itoa(len(c.args)+1), append(c.args, id)...)
	return err
}
