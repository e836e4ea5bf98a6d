package duckdb

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/deardiary/deardiary-go/core"
)

// maxGroup bounds how many queued writes share one transaction, so one commit
// never holds a long queue of callers hostage to a slow write.
const maxGroup = 512

var errClosed = core.Errorf(core.EInternal, "the database is closed")

type writeOp struct {
	ctx  context.Context
	fn   func(*tx) error
	done chan error
}

// writer owns the one connection that writes. Callers hand it closures; it
// runs whatever has queued up since its last commit in one transaction (group
// commit), which makes read-then-write steps such as auto-assigned metric
// steps race-free and turns thousands of small writes into a few commits.
type writer struct {
	ctx   context.Context // writes finish even when a caller gives up
	conn  *sql.Conn
	ops   chan *writeOp // unbuffered: a send succeeds only when the loop takes it
	quit  chan struct{}
	done  chan struct{}
	once  sync.Once
	cache cache
	apps  map[string]*duckdb.Appender // kept across transactions
	// compactAt is how many delta summary rows wait before they are folded.
	compactAt int64
	mem       *memoryBudget
}

func startWriter(ctx context.Context, db *sql.DB, compactAt int64, mem *memoryBudget) (*writer, error) {
	w, err := newWriter(ctx, db, compactAt)
	if err != nil {
		return nil, err
	}
	w.mem = mem
	go w.loop()
	return w, nil
}

// newWriter prepares a writer without starting its loop.
func newWriter(ctx context.Context, db *sql.DB, compactAt int64) (*writer, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	w := &writer{
		ctx:       context.WithoutCancel(ctx),
		conn:      conn,
		ops:       make(chan *writeOp),
		quit:      make(chan struct{}),
		done:      make(chan struct{}),
		cache:     newCache(),
		apps:      map[string]*duckdb.Appender{},
		compactAt: compactAt,
	}
	if err := conn.QueryRowContext(ctx, `SELECT
		greatest((SELECT COALESCE(max(last_seq), 0) FROM metric_summary), (SELECT COALESCE(max(last_seq), 0) FROM metric_summary_delta)),
		(SELECT count(*) FROM metric_summary_delta)`).Scan(&w.cache.seq, &w.cache.deltaRows); err != nil {
		conn.Close()
		return nil, err
	}
	return w, nil
}

// do queues fn and waits for the commit that acknowledges it. A write whose
// ctx has ended by the time its group starts is skipped and answered with
// ctx's error; one already running finishes, and its outcome is reported.
func (w *writer) do(ctx context.Context, fn func(*tx) error) error {
	op := &writeOp{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case w.ops <- op:
	case <-w.quit:
		return errClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	return <-op.done
}

// close stops taking writes, finishes those already queued and releases the
// connection.
func (w *writer) close() {
	w.once.Do(func() { close(w.quit) })
	<-w.done
}

// idleCheckpoint is how long the writer waits without writes before it
// checkpoints, folding the write-ahead log into the database file.
const idleCheckpoint = 2 * time.Second

func (w *writer) loop() {
	defer close(w.done)
	defer w.conn.Close()
	defer func() {
		for _, a := range w.apps {
			_ = a.Close()
		}
	}()
	idle := time.NewTimer(idleCheckpoint)
	idle.Stop()
	// Fold pending summary rows at close, so a file at rest is compact. A
	// failure here loses nothing: the deltas stay and are read as they are.
	defer func() {
		if w.cache.deltaRows > 0 {
			_ = w.compact()
		}
	}()
	for {
		var first *writeOp
		select {
		case <-idle.C:
			// A failed checkpoint loses nothing: the log stays and
			// DuckDB checkpoints it later.
			_, _ = w.conn.ExecContext(w.ctx, "CHECKPOINT")
			continue
		case first = <-w.ops:
		case <-w.quit:
			for {
				select {
				case op := <-w.ops:
					w.runGroup([]*writeOp{op})
				default:
					return
				}
			}
		}
		group := []*writeOp{first}
	drain:
		for len(group) < maxGroup {
			select {
			case op := <-w.ops:
				group = append(group, op)
			default:
				break drain
			}
		}
		w.runGroup(group)
		if w.cache.deltaRows >= w.compactAt {
			_ = w.compact() // on failure the deltas stay, still correct, and are folded next time
		}
		idle.Reset(idleCheckpoint)
	}
}

// runGroup commits the group's writes together. A write that fails is answered
// with its error and dropped, and the others run again without it: it saw the
// writes queued before it, exactly as if each had committed alone. When the
// commit itself fails, the culprit is unknown, so each write runs alone.
func (w *writer) runGroup(group []*writeOp) {
	pending := make([]*writeOp, 0, len(group))
	for _, op := range group {
		if err := op.ctx.Err(); err != nil {
			op.done <- err
			continue
		}
		pending = append(pending, op)
	}
	// careful makes every write flush its buffered rows before the next one
	// runs, so that a failing flush is blamed on the write that buffered the
	// rows rather than on whichever write happened to trigger it.
	careful := false
	for len(pending) > 0 {
		t, err := w.begin()
		if err != nil {
			for _, op := range pending {
				op.done <- err
			}
			return
		}
		failed := -1
		var opErr error
		for i, op := range pending {
			opErr = op.fn(t)
			if opErr == nil && careful {
				opErr = t.flushSummaries()
			}
			if opErr == nil {
				opErr = t.err // a failed flush poisons the transaction
			}
			if opErr != nil {
				failed = i
				break
			}
		}
		if failed >= 0 {
			t.rollback()
			t.returnMemory()
			var fe *flushError
			if errors.As(opErr, &fe) && !careful && len(pending) > 1 {
				careful = true // run the group again, each write flushing its own rows
				continue
			}
			pending[failed].done <- opErr
			pending = append(pending[:failed], pending[failed+1:]...)
			continue
		}
		err = t.commit()
		if err == nil && t.checkpoint {
			// A failed checkpoint loses nothing: the log stays.
			_, _ = w.conn.ExecContext(w.ctx, "CHECKPOINT")
		}
		t.returnMemory()
		if err != nil {
			if len(pending) == 1 {
				pending[0].done <- err
				return
			}
			for _, op := range pending {
				w.runGroup([]*writeOp{op})
			}
			return
		}
		for _, op := range pending {
			op.done <- nil
		}
		return
	}
}

func (w *writer) begin() (*tx, error) {
	if _, err := w.conn.ExecContext(w.ctx, "BEGIN TRANSACTION"); err != nil {
		return nil, errors.Join(errors.New("cannot begin a transaction"), err)
	}
	t := newTx(w.ctx, w.conn, &w.cache, w.apps)
	t.mem = w.mem
	return t, nil
}
