package duckdb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"

	"github.com/duckdb/duckdb-go/v2"
)

// querier is what read helpers need; *sql.Tx, *sql.DB and *tx provide it, so
// the same helper serves reads and the writer's transactions.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// iterState is what writes need to know about an iteration: whether it
// exists, where it belongs and whether it is locked.
type iterState struct {
	exists       bool
	experimentID string
	ended        bool
}

type seriesKey struct{ iteration, key string }

// maxCacheEntries bounds the writer's memory; past it the cache starts over.
const maxCacheEntries = 1 << 18

// cache holds the committed facts that hot writes (logging metrics) would
// otherwise query on every call. Only the writer changes the database, so the
// cache is exact: every change to what it holds goes through a transaction
// that updates it on commit.
type cache struct {
	iters map[string]iterState
	steps map[seriesKey]int64 // largest step of a series
	// seq is the last sequence number given to summary rows; deltaRows counts
	// the rows waiting in metric_summary_delta for compaction.
	seq       int64
	deltaRows int64
}

func newCache() cache {
	return cache{iters: map[string]iterState{}, steps: map[seriesKey]int64{}}
}

// largeWrite is the size of a value (or of the values of one write) from
// which it borrows DuckDB memory while it is written or read, and a write
// checkpoints after its commit (see tx.large and memoryBudget).
const largeWrite = 4 << 20

// tx is the writer's transaction. Metric points are buffered and written with
// the DuckDB Appender, and their summary changes are merged, when the
// transaction next queries or commits. Cached facts it learns or changes live
// in its own maps until commit, so a rollback leaves the cache untouched.
type tx struct {
	ctx   context.Context
	conn  *sql.Conn
	cache *cache
	err   error // set when a flush failed: the transaction is lost
	// begun is set once the transaction began in DuckDB, which it does on
	// its first use of the database: a transaction that only buffers points
	// may instead be held (see journal.go). Beginning takes in the points
	// held until then, and drained is then the journal record they end at.
	begun    bool
	held     *held
	heldRows []metricRow // flushed ahead of rows
	drained  uint64
	// keepDeltas leaves the held summary changes held (see held).
	keepDeltas bool
	rows       []metricRow
	deltas     map[blockKey]*blockDelta
	iters      map[string]iterState
	steps      map[seriesKey]int64
	forget     bool // a cascade deleted iterations: distrust the cache
	onCommit   []func()
	// checkpoint asks the writer to fold the log into the file right after
	// the commit: a write of many megabytes of bytes (a snapshot file, an
	// inline resource) otherwise stays in DuckDB's limited memory until the
	// next checkpoint, and the following large write or read runs out.
	checkpoint bool
	mem        *memoryBudget
	ids        *idSource
	drop       func(backend, uri string)   // see writer.drop
	borrowed   []func()                    // memory to give back when the transaction ends
	apps       map[string]*duckdb.Appender // the writer's, by table
	// summary flushes this transaction made (their sequence numbers), and
	// the delta rows it appended
	flushes, deltaRows int64
}

func newTx(ctx context.Context, conn *sql.Conn, c *cache, apps map[string]*duckdb.Appender, h *held) *tx {
	return &tx{
		ctx:    ctx,
		conn:   conn,
		apps:   apps,
		cache:  c,
		held:   h,
		deltas: map[blockKey]*blockDelta{},
		iters:  map[string]iterState{},
		steps:  map[seriesKey]int64{},
	}
}

func (t *tx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if err := t.flushRows(); err != nil {
		return nil, err
	}
	return t.conn.ExecContext(ctx, query, args...)
}

func (t *tx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if err := t.flushRows(); err != nil {
		return nil, err
	}
	return t.conn.QueryContext(ctx, query, args...)
}

// QueryRowContext runs the query even when a flush failed; t.err then fails
// the write that made the query.
func (t *tx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	_ = t.flushRows()
	return t.conn.QueryRowContext(ctx, query, args...)
}

// large prepares the transaction for writing values of n bytes in all:
// from largeWrite up, it borrows the memory DuckDB needs to write them and
// checkpoints after the commit, which moves them out of DuckDB's memory.
func (t *tx) large(n int) {
	if n < largeWrite {
		return
	}
	t.checkpoint = true
	t.borrowed = append(t.borrowed, t.mem.forWrite(int64(n)))
}

// returnMemory gives back what large borrowed, once the transaction has
// committed and checkpointed or rolled back.
func (t *tx) returnMemory() {
	for _, release := range t.borrowed {
		release()
	}
	t.borrowed = nil
}

// afterCommit runs fn once the transaction committed, such as removing the
// bytes of a deleted resource.
func (t *tx) afterCommit(fn func()) { t.onCommit = append(t.onCommit, fn) }

// dropAfterCommit removes the bytes at backend and uri once the transaction
// committed: the rows that named them are gone or name others.
func (t *tx) dropAfterCommit(backend, uri string) {
	if uri == "" || t.drop == nil {
		return
	}
	t.afterCommit(func() { t.drop(backend, uri) })
}

// open begins the transaction in DuckDB unless it has, and takes in the
// points held so far, ahead of its own, and (unless keepDeltas) the held
// summary changes.
func (t *tx) open() error {
	if t.begun {
		return t.err
	}
	t.begun = true
	if t.held != nil {
		// A drain in flight commits held points on another connection:
		// this transaction must see them, and take them in should it fail.
		t.held.settle()
	}
	if _, err := t.conn.ExecContext(t.ctx, "BEGIN TRANSACTION"); err != nil {
		t.err = errors.Join(errors.New("cannot begin a transaction"), err)
		return t.err
	}
	h := t.held
	if h == nil || h.j == nil {
		return nil
	}
	rows := len(h.rows) > 0 || h.j.pending() || h.spareDirty
	deltas := !t.keepDeltas && len(h.deltas) > 0
	if rows {
		t.heldRows = h.rows // read, not changed: a rollback leaves them held
		// The mark covers every number the journal gave, so a record of
		// a failed append that could not be cut off is never replayed.
		t.drained = h.j.seq
	}
	if deltas {
		own := t.deltas
		t.deltas = make(map[blockKey]*blockDelta, len(h.deltas)+len(own))
		for k, d := range h.deltas {
			c := *d // a rollback must leave the held ones as they are
			t.deltas[k] = &c
		}
		mergeDeltas(t.deltas, own)
	}
	if rows || deltas {
		t.afterCommit(func() { h.drained(rows, deltas) })
	}
	return nil
}

func (t *tx) commit() error {
	if err := t.flushRows(); err != nil {
		t.rollback()
		return err
	}
	if err := t.flushSummaries(); err != nil {
		t.rollback()
		return err
	}
	if t.drained > 0 {
		if _, err := t.conn.ExecContext(t.ctx, `UPDATE journal_mark SET drained = ?`, t.drained); err != nil {
			t.rollback()
			return fmt.Errorf("cannot mark the journal: %w", err)
		}
	}
	advanced, err := t.ids.advance(t.ctx, t.conn)
	if err != nil {
		t.rollback()
		return err
	}
	if _, err := t.conn.ExecContext(t.ctx, "COMMIT"); err != nil {
		t.rollback()
		return fmt.Errorf("commit failed: %w", err)
	}
	advanced()
	t.applyToCache()
	for _, fn := range t.onCommit {
		fn()
	}
	return nil
}

func (t *tx) rollback() {
	if !t.begun {
		return
	}
	_, _ = t.conn.ExecContext(t.ctx, "ROLLBACK")
}

func (t *tx) applyToCache() {
	c := t.cache
	c.seq += t.flushes
	c.deltaRows += t.deltaRows
	if t.forget || len(c.iters)+len(t.iters) > maxCacheEntries || len(c.steps)+len(t.steps) > maxCacheEntries {
		c.iters, c.steps = map[string]iterState{}, map[seriesKey]int64{}
	}
	for id, st := range t.iters {
		c.iters[id] = st
	}
	for k, step := range t.steps {
		if step == unknownStep {
			delete(c.steps, k)
		} else {
			c.steps[k] = step
		}
	}
}

// iteration returns what the writer knows of an iteration, from this
// transaction, the cache, or the database, in that order.
func (t *tx) iteration(id string) (iterState, error) {
	id = t.ids.canonical(id)
	if st, ok := t.iters[id]; ok {
		return st, nil
	}
	if !t.forget {
		if st, ok := t.cache.iters[id]; ok {
			return st, nil
		}
	}
	var st iterState
	var end sql.NullString
	err := t.QueryRowContext(t.ctx, `SELECT experiment_id, end_date FROM iteration WHERE id = ?`, id).Scan(&st.experimentID, &end)
	switch {
	case noRow(err):
	case err != nil:
		return st, err
	default:
		st.exists = true
		st.ended = end.String != ""
	}
	t.iters[id] = st
	return st, nil
}

// setIteration records a change the transaction made to an iteration.
func (t *tx) setIteration(id string, st iterState) { t.iters[id] = st }

// forgetIterations is called by cascades that delete iterations wholesale.
func (t *tx) forgetIterations() {
	t.forget = true
	clear(t.iters)
	clear(t.steps)
}

// Step sentinels in the step maps: unknownStep marks a series whose largest
// step must be read again; emptySeries one known to have no points yet.
const (
	unknownStep = -1 << 63
	emptySeries = unknownStep + 1
)

// cachedStep returns the largest step of a series as far as this transaction
// and the cache know it, without asking the database.
func (t *tx) cachedStep(k seriesKey) (int64, bool) {
	if step, ok := t.steps[k]; ok {
		return step, step != unknownStep
	}
	if t.forget {
		return 0, false
	}
	step, ok := t.cache.steps[k]
	return step, ok
}

// lastStep returns the largest step of a series, and false when it has none.
func (t *tx) lastStep(k seriesKey) (int64, bool, error) {
	step, known := t.cachedStep(k)
	if !known {
		if err := t.flushSummaries(); err != nil {
			return 0, false, err
		}
		var last sql.NullInt64
		if err := t.QueryRowContext(t.ctx, `SELECT max(last_step) FROM (`+summaryRows+`)`, k.iteration, k.key, k.iteration, k.key).Scan(&last); err != nil {
			return 0, false, err
		}
		step = emptySeries
		if last.Valid {
			step = last.Int64
		}
		t.steps[k] = step
	}
	if step == emptySeries {
		return 0, false, nil
	}
	return step, true, nil
}

// forgetSeries marks a series changed by SQL, so its largest step is read again.
func (t *tx) forgetSeries(k seriesKey) { t.steps[k] = unknownStep }

type metricRow struct {
	id, iterationID, key string
	value                float64
	step                 int64
	recordedAt           string
}

// appendMetric buffers a point; it reaches the table, and its summary
// change the transaction's deltas, at the next flush. A transaction the
// writer holds instead never flushes: its points' changes go straight to
// the held ones (held.add), with no map of their own in between.
func (t *tx) appendMetric(r metricRow) {
	t.rows = append(t.rows, r)
	// A series whose largest step is unknown stays unknown: marking it
	// would cost two map writes a point for nothing, and a model logging
	// a thousand series with explicit steps never asks for one.
	k := seriesKey{r.iterationID, r.key}
	if step, known := t.cachedStep(k); known {
		t.steps[k] = max(step, r.step)
	}
}

var appendColumns = []string{"id", "iteration_id", "key", "value", "step", "recorded_at"}

// flushRows writes the buffered points with one Appender.
func (t *tx) flushRows() error {
	if err := t.open(); err != nil || len(t.heldRows)+len(t.rows) == 0 {
		return err
	}
	held, rows := t.heldRows, t.rows
	t.heldRows, t.rows = nil, t.rows[:0]
	for _, r := range rows {
		addPoint(t.deltas, r)
	}
	values := make([]driver.Value, len(appendColumns))
	// A row's iteration and time are those of the row before more often
	// than not: their boxed values are kept rather than made again, which
	// is a third of the garbage a drain of held points makes.
	var lastIt, lastAt string
	err := t.appendRows("metric", appendColumns, len(held)+len(rows), func(i int) []driver.Value {
		var r *metricRow
		if i < len(held) {
			r = &held[i]
		} else {
			r = &rows[i-len(held)]
		}
		if i == 0 || r.iterationID != lastIt {
			lastIt, values[1] = r.iterationID, t.ids.value(r.iterationID)
		}
		if i == 0 || r.recordedAt != lastAt {
			lastAt, values[5] = r.recordedAt, r.recordedAt
		}
		values[0], values[2], values[3], values[4] = t.ids.value(r.id), r.key, r.value, r.step
		return values
	})
	if err != nil {
		t.err = &flushError{fmt.Errorf("cannot append metrics: %w", err)}
	}
	return t.err
}

// flushError is a failure to write buffered rows. It surfaces in whichever
// write ran next, not necessarily the one that buffered them; the writer then
// reruns the group carefully to find the culprit.
type flushError struct{ err error }

func (e *flushError) Error() string { return e.err.Error() }
func (e *flushError) Unwrap() error { return e.err }

// appendRows writes n rows to table with the writer's Appender for it, made
// on first use and kept: making one costs about as much as flushing it.
func (t *tx) appendRows(table string, columns []string, n int, row func(i int) []driver.Value) error {
	return t.conn.Raw(func(dc any) error {
		a := t.apps[table]
		if a == nil {
			var err error
			if a, err = duckdb.NewAppenderWithColumns(dc.(driver.Conn), "", "", table, columns); err != nil {
				return err
			}
			t.apps[table] = a
		}
		for i := range n {
			if err := a.AppendRow(row(i)...); err != nil {
				t.dropAppender(table)
				return err
			}
		}
		if err := a.Flush(); err != nil {
			t.dropAppender(table)
			return err
		}
		return nil
	})
}

// dropAppender discards an Appender after an error, which leaves it unusable.
func (t *tx) dropAppender(table string) {
	if a := t.apps[table]; a != nil {
		_ = a.Clear()
		_ = a.Close()
		delete(t.apps, table)
	}
}
