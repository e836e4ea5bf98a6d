package duckdb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"strconv"
	"strings"

	"github.com/duckdb/duckdb-go/v2"
)

// Rows as they are stored, for tools that move a whole store (ddd copy).
// They read and write upstream's tables and the store's own directly: ids
// as the file has them (int64 on an integer-id file), timestamps as text,
// no checks and no cascades. Points appended with AppendPoints keep the
// summaries and the rollup current, as logged points do; rows appended to
// metric any other way leave them stale, and Open rebuilds them. A tool
// that wrote rows with ids of an integer-id file closes the store and opens
// it again, which advances the file's sequences past them.

// QueryRaw runs a query on the database as stored. It sees every write
// acknowledged before it. The driver holds a query's whole result in
// memory, so read a large table in ranges (of rowid, say), not at once.
func (s *Store) QueryRaw(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if err := s.sync(ctx); err != nil {
		return nil, err
	}
	return s.db.QueryContext(ctx, query, args...)
}

// RawTx is one transaction of the store's writer for rows written as they
// are.
type RawTx struct{ t *tx }

// WriteRaw runs fn in one transaction of the store's writer and commits
// it: all of fn's rows and statements, or, when it fails, none. The writer
// may run fn a second time (when a commit shared with other writes fails),
// so fn must do the same each time it runs.
func (s *Store) WriteRaw(ctx context.Context, fn func(*RawTx) error) error {
	return s.write(ctx, func(t *tx) error {
		if err := t.open(); err != nil {
			return err
		}
		// What the writer caches (iterations, the last step of series)
		// may be changed by raw rows: it starts over after this commit.
		t.forgetIterations()
		return fn(&RawTx{t})
	})
}

// Exec runs a statement in the transaction and returns the rows it changed.
func (r *RawTx) Exec(query string, args ...any) (int64, error) {
	res, err := r.t.ExecContext(r.t.ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// QueryRow runs a query that returns one row in the transaction.
func (r *RawTx) QueryRow(query string, args ...any) *sql.Row {
	return r.t.QueryRowContext(r.t.ctx, query, args...)
}

// Checkpoint asks the writer to fold the write-ahead log into the file
// once the transaction commits. A long run of appends otherwise keeps its
// rows in DuckDB's memory until the log reaches the checkpoint threshold
// (256 MB), holding that much in memory or spilled beside the file.
func (r *RawTx) Checkpoint() { r.t.checkpoint = true }

// AppendPoints appends metric points as they are, each row holding id,
// iteration_id, key, value (float64), step (int64) and recorded_at, the way
// the writer appends logged points: with the changes to their series'
// summaries and rollup blocks, which the writer folds as it does those of
// logged points. The summaries stay current, and bounded in memory.
func (r *RawTx) AppendPoints(rows [][]any) error {
	for _, row := range rows {
		if len(row) != len(appendColumns) {
			return fmt.Errorf("a point has %d values, want %d", len(row), len(appendColumns))
		}
		value, ok1 := row[3].(float64)
		step, ok2 := row[4].(int64)
		recordedAt, ok3 := row[5].(string)
		key, ok4 := row[2].(string)
		if !ok1 || !ok2 || !ok3 || !ok4 {
			return fmt.Errorf("a point has values of types %T, %T, %T, %T where text, float64, int64 and text are wanted", row[2], row[3], row[4], row[5])
		}
		r.t.appendMetric(metricRow{id: rawID(row[0]), iterationID: rawID(row[1]), key: key, value: value, step: step, recordedAt: recordedAt})
	}
	return r.t.flushRows()
}

// rawID is an id as the writer holds it: text, which it gives the
// Appender as the file's ids take it.
func rawID(v any) string {
	if n, ok := v.(int64); ok {
		return strconv.FormatInt(n, 10)
	}
	s, _ := v.(string)
	return s
}

// Append appends rows to table with DuckDB's Appender, each row holding
// the values of columns in order: string for VARCHAR, int64 for BIGINT,
// float64 for DOUBLE, []byte for BLOB, nil for NULL.
func (r *RawTx) Append(table string, columns []string, rows [][]any) error {
	if err := r.t.flushRows(); err != nil {
		return err
	}
	size := 0
	for _, row := range rows {
		for _, v := range row {
			switch v := v.(type) {
			case []byte:
				size += len(v)
			case string:
				size += len(v)
			}
		}
	}
	r.t.large(size)
	// The writer keeps its Appenders by name across transactions; raw ones
	// are named by their columns too, so they never meet the writer's own.
	name := "raw " + table + " (" + strings.Join(columns, ", ") + ")"
	err := r.t.conn.Raw(func(dc any) error {
		a := r.t.apps[name]
		if a == nil {
			var err error
			if a, err = duckdb.NewAppenderWithColumns(dc.(driver.Conn), "", "", table, columns); err != nil {
				return err
			}
			r.t.apps[name] = a
		}
		values := make([]driver.Value, len(columns))
		for _, row := range rows {
			for i := range values {
				values[i] = row[i]
			}
			if err := a.AppendRow(values...); err != nil {
				r.t.dropAppender(name)
				return err
			}
		}
		if err := a.Flush(); err != nil {
			r.t.dropAppender(name)
			return err
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("cannot append to %s: %w", table, err)
	}
	return nil
}
