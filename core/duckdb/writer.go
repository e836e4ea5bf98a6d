package duckdb

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
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
	// keepDeltas leaves the held summary changes held: a drain that only
	// moves held points into DuckDB.
	keepDeltas bool
}

// writer owns the one connection that writes. Callers hand it closures; it
// runs whatever has queued up since its last commit in one transaction (group
// commit), which makes read-then-write steps such as auto-assigned metric
// steps race-free and turns thousands of small writes into a few commits.
// A group that only logs points it acknowledges from its journal instead,
// and commits the points of many such groups at once (see journal.go).
type writer struct {
	ctx   context.Context // writes finish even when a caller gives up
	conn  *sql.Conn
	ops   chan *writeOp // unbuffered: a send succeeds only when the loop takes it
	quit  chan struct{}
	done  chan struct{}
	once  sync.Once
	cache cache
	apps  map[string]*duckdb.Appender // kept across transactions
	// compactAt is how many delta summary rows wait before they are folded;
	// after a failed compaction, none is tried before compactAfter.
	compactAt    int64
	compactAfter time.Time
	// holdFor is how long points are held at most, holdDeltasFor their
	// summary changes (config's).
	holdFor, holdDeltasFor time.Duration
	mem                    *memoryBudget
	held                   held
	// drainConn and drainApps are the drain's (startDrain): a second
	// connection, so that groups are acknowledged from the journal while
	// held points go into DuckDB.
	drainConn *sql.Conn
	drainApps map[string]*duckdb.Appender
	ids       *idSource
	// drop removes the bytes of resources a transaction deleted or
	// replaced, once it committed.
	drop func(backend, uri string)
}

// held is what the journal has and DuckDB does not yet: the points of
// acknowledged writes, in the order they were logged, and their summary
// changes (see journal.go).
//
// The summary changes stay held after their points reach DuckDB, until a
// read or another write needs them, there are holdBlocks of them, or they
// are holdDeltasFor old. A commit of held points appends one summary row
// per series and block it touched: a model logging 1,000 series per step
// from 16 runs touched 16,000 blocks in every commit of 16k points, as many
// summary rows as points, and their compaction took a quarter of ddd's CPU.
// Held across commits, they merge into one row per block for many of them.
// A crash between the points' commit and their summaries' leaves the
// summaries short of the points, which the next open sees (summaryState)
// and rebuilds from the points, exactly as after DearDiary.jl wrote.
type held struct {
	j *journal // nil: nothing is held, every write commits
	// spare is the other journal file, empty, which takes the records
	// while a drain commits what j held (startDrain); nil while it does.
	// spareDirty says it holds records too, of a drain that failed: the
	// next commit of held points empties it with j.
	spare      *journal
	spareDirty bool
	// failing is set when held points could not be committed (a full
	// disk): until a commit takes them, groups commit to DuckDB rather
	// than being acknowledged from the journal, so that a write fails as
	// DuckDB does instead of piling up points that reads cannot show.
	failing  bool
	inflight *drainJob
	rows     []metricRow
	free     []metricRow // a drained job's rows, for the next to reuse
	// since is when the oldest of rows was added (zero: long ago), which
	// the hold timer counts from.
	since  time.Time
	deltas map[blockKey]*blockDelta
	// deltasSince is when the oldest held delta was added.
	deltasSince time.Time
	// count is len(rows), blocks len(deltas) and draining the rows of
	// the drain in flight, for readers deciding whether to sync first.
	count, blocks, draining atomic.Int64
}

// drainJob is a drain in flight: held rows going into DuckDB on the drain
// connection, with the mark of the journal j that has them.
type drainJob struct {
	rows []metricRow
	mark uint64
	j    *journal
	done chan error
}

// Points are held until there are nearly drainRows of them or the oldest
// has waited holdFor (unless a drain is in flight and less than a row group
// waits): long enough for one DuckDB commit to carry thousands of points,
// short enough that the journal, Go's memory and a crash's replay stay
// small. A transaction that appends at least rowGroup rows (DuckDB's row
// group) writes them to the file compressed, where smaller ones go to the
// write-ahead log and again to the file at the next checkpoint: DuckDB's
// Appender took the rows of 1,000 keys per step at 540k rows/s in commits of
// 128k rows against 415k in commits of 16k, with a quarter less CPU a row.
//
// Such a transaction writes whole row groups and leaves its last rows in
// one of their own, which stays partly empty, and DuckDB keeps a few tens of
// kilobytes of memory for every row group written while the file is open.
// Drains of a row group and the group past it left one of 120 rows after
// each full one, so that memory grew by 0.5 bytes a point (115 MB over ten
// minutes of the keys load) and the file had twice the row groups it
// needed. Drains are instead cut before the group that would take them past
// drainRows, two row groups: whole groups (the journal's records, and
// batches, stay whole), and the second row group nearly full.
//
// Their summary changes are held until there are holdBlocks of them (about
// 200 bytes each) or the oldest has waited holdDeltasFor.
const (
	rowGroup      = 122_880
	drainRows     = 2 * rowGroup
	holdFor       = time.Second
	holdBlocks    = 64 << 10
	holdDeltasFor = 10 * time.Second
)

// add holds an acknowledged group's rows, and adds their summary changes.
func (h *held) add(rows []metricRow) {
	if len(h.rows) == 0 {
		h.since = time.Now()
	}
	if h.rows == nil {
		// Room for a drain's worth, so the rows are not copied into ever
		// larger arrays while they gather.
		h.rows, h.free = h.free, nil
		if h.rows == nil {
			h.rows = make([]metricRow, 0, drainRows)
		}
	}
	h.rows = append(h.rows, rows...)
	if h.deltas == nil {
		h.deltas = map[blockKey]*blockDelta{}
		h.deltasSince = time.Now()
	}
	for _, r := range rows {
		addPoint(h.deltas, r)
	}
	h.count.Store(int64(len(h.rows)))
	h.blocks.Store(int64(len(h.deltas)))
}

// pending reports whether anything is held, or on its way into DuckDB.
func (h *held) pending() bool {
	return h.count.Load() > 0 || h.blocks.Load() > 0 || h.draining.Load() > 0
}

// drained forgets what a committed transaction took in: the rows, after
// which the journal is emptied, and the deltas when it took them too.
// Should emptying fail, the records stay behind the mark, and a replay
// skips them.
func (h *held) drained(rows, deltas bool) {
	if rows {
		clear(h.rows) // lets go of their strings now, not when overwritten
		h.rows = h.rows[:0]
		h.count.Store(0)
		_ = h.j.reset()
		if h.spareDirty && h.spare.reset() == nil {
			h.spareDirty = false
		}
		h.failing = false
	}
	if deltas {
		h.deltas = nil
		h.blocks.Store(0)
	}
}

// settle waits for the drain in flight, if any. When it failed, its rows
// are held again, ahead of those held since, and its journal keeps their
// records until the next commit of held points empties both journals.
func (h *held) settle() { h.reap(true) }

// reap settles the drain in flight if it is done, or when wait, once it is.
func (h *held) reap(wait bool) {
	job := h.inflight
	if job == nil {
		return
	}
	var err error
	if wait {
		err = <-job.done
	} else {
		select {
		case err = <-job.done:
		default:
			return
		}
	}
	h.inflight = nil
	h.spare = job.j
	if err == nil {
		clear(job.rows) // lets go of their strings now, not when overwritten
		h.free = job.rows[:0]
	} else {
		h.rows = append(job.rows, h.rows...)
		h.since = time.Time{}
		h.count.Store(int64(len(h.rows)))
		h.spareDirty, h.failing = true, true
	}
	h.draining.Store(0)
}

// startDrain moves the held points into DuckDB on the drain connection
// while the writer goes on acknowledging groups from the other journal
// file: a drain of DuckDB's row group of points cost a fifth of a second
// of CPU, in which clients logging many points a request were all
// waiting. Only one drain is in flight: with one already, the points are
// held until it is done, or the writer waits for it once a row group's
// worth are held (or, in cutDrain, once the next group would take them
// past drainRows). Without a spare journal, the drain commits on the
// writer's connection, as every other write does.
func (w *writer) startDrain() {
	h := &w.held
	h.reap(false)
	if h.inflight != nil {
		if h.count.Load() < rowGroup {
			return
		}
		h.settle()
	}
	if h.count.Load() == 0 {
		return
	}
	if !w.drainsAside() {
		_ = w.drain(true) // on failure the points stay held, and the journal has them
		return
	}
	job := &drainJob{rows: h.rows, mark: h.j.seq, j: h.j, done: make(chan error, 1)}
	h.spare.seq = h.j.seq // numbers go on in the other file
	h.j, h.spare, h.inflight = h.spare, nil, job
	h.rows = nil
	h.draining.Store(int64(len(job.rows)))
	h.count.Store(0)
	go func() { job.done <- w.commitDrain(job) }()
}

// cutDrain drains what is held before a group that would take it past
// drainRows is written to the journal (see drainRows). It waits for the
// drain in flight, if any, to have the other journal file; when there is
// none to drain aside with, the group joins what is held, and the writer's
// loop drains it all.
func (w *writer) cutDrain() {
	w.held.settle()
	if w.drainsAside() {
		w.startDrain()
	}
}

// drainsAside reports whether a drain can go on the drain connection, from
// the journal file the writer then stops writing to.
func (w *writer) drainsAside() bool {
	h := &w.held
	return h.spare != nil && !h.spareDirty && !h.j.broken && w.drainConn != nil
}

// commitDrain appends a drain's rows to metric and records its mark in one
// transaction on the drain connection, then empties the journal that had
// them. Their summary changes stay held (see held). Nothing else uses the
// database meanwhile: a write or read that would waits for the drain
// (tx.open, writer.sync).
func (w *writer) commitDrain(job *drainJob) error {
	// The transaction's cache is its own: the writer's goes on serving the
	// groups acknowledged meanwhile, and a drain changes nothing in it.
	t := newTx(w.ctx, w.drainConn, &cache{}, w.drainApps, nil)
	t.ids = w.ids
	if err := t.open(); err != nil {
		return err
	}
	t.heldRows, t.drained = job.rows, job.mark
	if err := t.commit(); err != nil {
		return err
	}
	_ = job.j.reset() // should it fail, the records stay behind the mark, and a replay skips them
	return nil
}

// startWriter starts the writer. With a journal path, it replays the
// journal's records that never reached DuckDB, then keeps the journal.
func startWriter(ctx context.Context, db *sql.DB, cfg config, mem *memoryBudget, journalPath string, ids *idSource, drop func(backend, uri string)) (*writer, error) {
	w, err := newWriter(ctx, db, cfg.compactAt, ids)
	if err != nil {
		return nil, err
	}
	w.holdFor, w.holdDeltasFor = cfg.holdFor, cfg.holdDeltasFor
	w.mem, w.drop = mem, drop
	if journalPath != "" {
		if err := w.replay(journalPath); err != nil {
			w.conn.Close()
			return nil, err
		}
		if w.drainConn, err = db.Conn(ctx); err != nil {
			w.finish()
			return nil, err
		}
		w.drainApps = map[string]*duckdb.Appender{}
	}
	go w.loop()
	return w, nil
}

// replay opens the journal and commits the points of its records past
// journal_mark. When the disk has no room for them, they stay held, as they
// would in a running writer: reads of points then say so, and the writer
// tries again.
func (w *writer) replay(path string) error {
	mark, db, err := readMark(w.ctx, w.conn)
	if err != nil {
		return err
	}
	j, records, err := openJournal(path, db)
	if err != nil {
		return err
	}
	spare, spareRecords, err := openJournal(spareJournalPath(path), db)
	if err != nil {
		j.f.Close()
		return err
	}
	// A crash while a drain was in flight leaves records in both files,
	// the older numbers in one: they replay in the order they were given.
	records = append(records, spareRecords...)
	slices.SortFunc(records, func(a, b journalRecord) int { return cmp.Compare(a.seq, b.seq) })
	for _, r := range records {
		if r.seq <= mark {
			continue
		}
		for _, row := range r.rows {
			w.ids.observe("metric", row.id)
		}
		w.held.add(r.rows)
	}
	j.seq = max(j.seq, spare.seq, mark)
	w.held.j, w.held.spare, w.held.spareDirty = j, spare, spare.pending()
	if w.held.count.Load() > 0 {
		if err := w.drain(false); err != nil && diskTrouble(err.Error()) == "" {
			j.f.Close()
			spare.f.Close()
			return fmt.Errorf("cannot replay the journal %s: %w", path, err)
		}
	} else {
		w.held.drained(true, false) // records at or below the mark, if any
	}
	return nil
}

// newWriter prepares a writer without starting its loop.
func newWriter(ctx context.Context, db *sql.DB, compactAt int64, ids *idSource) (*writer, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	w := &writer{
		ctx:           context.WithoutCancel(ctx),
		conn:          conn,
		ops:           make(chan *writeOp),
		quit:          make(chan struct{}),
		done:          make(chan struct{}),
		cache:         newCache(),
		apps:          map[string]*duckdb.Appender{},
		compactAt:     compactAt,
		holdFor:       holdFor,
		holdDeltasFor: holdDeltasFor,
		ids:           ids,
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

// compactRetry is how long the writer waits after a failed compaction.
const compactRetry = 5 * time.Second

// idleCheckpoint is how long the writer waits without writes before it
// checkpoints, folding the write-ahead log into the database file.
const idleCheckpoint = 2 * time.Second

// drain commits the held points to DuckDB, and their summary changes unless
// keepDeltas.
func (w *writer) drain(keepDeltas bool) error {
	op := &writeOp{ctx: w.ctx, fn: (*tx).open, done: make(chan error, 1), keepDeltas: keepDeltas}
	w.runGroup([]*writeOp{op})
	return <-op.done
}

// sync returns once the points held when it was called, and their summary
// changes, are in DuckDB, where reads see them.
func (w *writer) sync(ctx context.Context) error {
	if !w.held.pending() {
		return nil
	}
	return w.do(ctx, (*tx).open)
}

// finish ends the loop: it commits what is held, folds pending summary rows
// so a file at rest is compact, and lets go of the connection. A failure
// loses nothing: the journal and the deltas stay, and the next open replays
// and reads them.
func (w *writer) finish() {
	if w.held.pending() {
		_ = w.drain(false)
	}
	if w.cache.deltaRows > 0 {
		_ = w.compact()
	}
	for _, a := range w.apps {
		_ = a.Close()
	}
	for _, a := range w.drainApps {
		_ = a.Close()
	}
	h := &w.held
	h.settle() // only when finishing a failed start: the drain above settled it
	for _, j := range []*journal{h.j, h.spare} {
		if j != nil {
			_ = j.close() // kept, when it holds what is to be replayed at the next open
		}
	}
	if w.drainConn != nil {
		w.drainConn.Close()
	}
	w.conn.Close()
}

func (w *writer) loop() {
	defer close(w.done)
	defer w.finish()
	idle := time.NewTimer(idleCheckpoint)
	idle.Stop()
	// hold runs while points are held, from the first: it fires at most
	// holdFor after any point was acknowledged, and again after a drain
	// that failed.
	hold := time.NewTimer(w.holdFor)
	hold.Stop()
	holding := false
	for {
		if !holding && w.held.pending() {
			hold.Reset(w.holdFor)
			holding = true
		}
		var first *writeOp
		select {
		case <-idle.C:
			if w.held.pending() {
				_ = w.drain(false) // on failure they stay held; the hold timer tries again
			}
			// A failed checkpoint loses nothing: the log stays and
			// DuckDB checkpoints it later.
			_, _ = w.conn.ExecContext(w.ctx, "CHECKPOINT")
			continue
		case <-hold.C:
			holding = false
			// The timer ran from the first point held then; when a drain
			// has taken those since, it counts from the oldest held now,
			// so that under load drains stay cut at whole row groups.
			if h := &w.held; h.count.Load() > 0 {
				if wait := w.holdFor - time.Since(h.since); wait > 0 {
					hold.Reset(wait)
					holding = true
					continue
				}
			}
			w.startDrain()
			w.drainDeltas()
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
		if w.held.count.Load() >= drainRows {
			w.startDrain()
		}
		w.drainDeltas()
		if w.cache.deltaRows >= w.compactAt && time.Now().After(w.compactAfter) {
			// On failure the deltas stay, still correct, and are folded
			// later: not after the next group, which would fail the same
			// way at every write.
			if err := w.compact(); err != nil {
				w.compactAfter = time.Now().Add(compactRetry)
			}
		}
		idle.Reset(idleCheckpoint)
	}
}

// drainDeltas commits the held summary changes once there are many, or
// they are old. Held points go with them.
func (w *writer) drainDeltas() {
	h := &w.held
	if n := h.blocks.Load(); n >= holdBlocks || (n > 0 && time.Since(h.deltasSince) >= w.holdDeltasFor) {
		_ = w.drain(false) // on failure they stay held, and are tried again
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
		t := w.begin()
		t.keepDeltas = len(pending) == 1 && pending[0].keepDeltas
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
		if !w.hold(t) {
			err := t.commit()
			if err != nil && t.drained > 0 {
				w.held.failing = true // it took in held points, which stay held
			}
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
		}
		for _, op := range pending {
			op.done <- nil
		}
		return
	}
}

// begin starts a transaction; it begins in DuckDB on its first use of the
// database (see tx.open).
func (w *writer) begin() *tx {
	t := newTx(w.ctx, w.conn, &w.cache, w.apps, &w.held)
	t.mem, t.ids, t.drop = w.mem, w.ids, w.drop
	return t
}

// hold acknowledges a transaction that only buffered points by writing them
// to the journal, and holds them for a later commit. It reports false when
// the transaction must commit instead: it used the database or has work for
// after its commit, there is no journal, or the journal failed.
func (w *writer) hold(t *tx) bool {
	h := &w.held
	if h.j == nil || h.j.broken || h.failing || t.begun || len(t.onCommit) > 0 || t.checkpoint || t.forget {
		return false
	}
	if len(t.rows) > 0 {
		if n := h.count.Load(); n > 0 && n+int64(len(t.rows)) > drainRows {
			w.cutDrain()
			if h.failing {
				return false // the drain it waited for failed: commit, as after any failed drain
			}
		}
		if _, err := h.j.append(t.rows); err != nil {
			return false
		}
		h.add(t.rows)
	}
	t.applyToCache()
	return true
}
