package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/deardiary/deardiary-go/core"
)

// tx is a write transaction: pgx's, the context of the call, and work for
// after the commit (removing the bytes of deleted resources).
type tx struct {
	pgx.Tx
	ctx      context.Context
	s        *Store
	onCommit []func()
}

// afterCommit runs fn once the transaction committed: a rolled-back delete
// never loses bytes.
func (t *tx) afterCommit(fn func()) { t.onCommit = append(t.onCommit, fn) }

// dropAfterCommit removes the bytes at backend and uri once the transaction
// committed: the rows that named them are gone or name others.
func (t *tx) dropAfterCommit(backend, uri string) {
	if uri != "" {
		t.afterCommit(func() { t.s.dropBytes(backend, uri) })
	}
}

// maxAttempts bounds how often a write that met another (a deadlock, a
// serialization failure) runs again.
const maxAttempts = 5

var errReadOnly = core.Invalid("the database is open read-only")

// write runs fn in a transaction of its own and commits it: the whole
// write or, on any error, none of it. A write that PostgreSQL chose as a
// deadlock's victim runs again.
func (s *Store) write(ctx context.Context, fn func(t *tx) error) error {
	if s.cfg.readOnly {
		return errReadOnly
	}
	var err error
	for range maxAttempts {
		if err = s.writeOnce(ctx, fn); !retryable(err) || ctx.Err() != nil {
			break
		}
	}
	return fold(err)
}

func (s *Store) writeOnce(ctx context.Context, fn func(t *tx) error) error {
	pt, err := s.pool.Begin(ctx)
	if err != nil {
		return err
	}
	// A rollback after the commit does nothing; one after a cancelled
	// context must still reach the server.
	defer pt.Rollback(context.WithoutCancel(ctx))
	t := &tx{Tx: pt, ctx: ctx, s: s}
	if err := fn(t); err != nil {
		return err
	}
	// The commit is not cancelled with the caller: once asked, its outcome
	// is what the caller is told.
	if err := pt.Commit(context.WithoutCancel(ctx)); err != nil {
		return err
	}
	for _, fn := range t.onCommit {
		fn()
	}
	return nil
}

// read runs fn in a read-only transaction that sees one snapshot, for reads
// that make several queries.
func (s *Store) read(ctx context.Context, fn func(q querier) error) error {
	t, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return fold(err)
	}
	defer t.Rollback(context.WithoutCancel(ctx))
	if err := fn(t); err != nil {
		return fold(err)
	}
	return fold(t.Commit(ctx))
}

// lockIteration returns what a write needs to know of an iteration, and
// holds a share lock on its row until the transaction ends: no other
// transaction can end or delete it meanwhile, so nothing is written to an
// iteration that has ended. missing is the error for no such iteration.
func lockIteration(t *tx, id string, missing func(kind, id string) *core.Error) (experimentID string, ended bool, err error) {
	if !storable(id) {
		return "", false, missing("iteration", id)
	}
	var end string
	err = t.QueryRow(t.ctx, `SELECT experiment_id, COALESCE(end_date, '') FROM iteration WHERE id = $1 FOR SHARE`, id).Scan(&experimentID, &end)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", false, missing("iteration", id)
	}
	return experimentID, end != "", err
}

// runningIteration locks an iteration that must exist (else missing) and
// still be running (else a lock error).
func runningIteration(t *tx, id string, missing func(kind, id string) *core.Error) error {
	_, ended, err := lockIteration(t, id, missing)
	if err == nil && ended {
		return core.Locked(id)
	}
	return err
}

// invalidRef reports a missing entity that the input refers to.
func invalidRef(kind, id string) *core.Error { return core.Invalid("%s %q not found", kind, id) }

// requireEntity fails with EInvalid when a referenced entity is missing: the
// input names something that is not there.
func requireEntity(t *tx, kind, table, id string) error {
	ok, err := exists(t.ctx, t, table, id)
	if err != nil {
		return err
	}
	if !ok {
		return invalidRef(kind, id)
	}
	return nil
}

// mustExist fails with NOT_FOUND when the entity a call acts on is missing.
func mustExist(t *tx, kind, table, id string) error {
	ok, err := exists(t.ctx, t, table, id)
	if err != nil {
		return err
	}
	if !ok {
		return core.NotFound(kind, id)
	}
	return nil
}
