package postgres

import (
	"context"
	"sync"

	"github.com/deardiary/deardiary-go/core"
)

// Group commit. A training loop logs a point per step, and a team's runs
// log them from many processes at once; a transaction per point would pay
// a commit, and a WAL flush, per point. So a store sends its small point
// writes to one goroutine, which runs whatever has queued up since its last
// transaction as one (writePoints), and answers each caller after that
// transaction commits. The database, not this goroutine, keeps steps
// unique: other processes have writers of their own, and every write locks
// what it numbers (see points.go).
//
// A set refused on its own account (ended iteration, missing iteration)
// gets its error and the others commit without it. When the transaction
// itself fails, each set runs again alone, so one bad write cannot fail
// another's.

// groupable is the largest set that goes through the group; larger ones
// are a transaction of their own already worth its commit.
const groupable = 64

// maxGroupRows bounds the points of one group, so one commit never holds a
// long queue of callers hostage.
const maxGroupRows = 8192

type pointOp struct {
	ctx  context.Context
	set  pointSet
	done chan error
}

type pointWriter struct {
	s    *Store
	ops  chan *pointOp // unbuffered: a send succeeds only when the loop takes it
	quit chan struct{}
	done chan struct{}
	once sync.Once
}

var errClosed = core.Errorf(core.EInternal, "the store is closed")

func startPointWriter(s *Store) *pointWriter {
	w := &pointWriter{s: s, ops: make(chan *pointOp), quit: make(chan struct{}), done: make(chan struct{})}
	go w.loop()
	return w
}

// do queues a set and waits for the commit that includes it. A set whose
// ctx has ended by the time its group starts is skipped and answered with
// ctx's error; one already in a transaction is answered with its outcome.
func (w *pointWriter) do(ctx context.Context, set pointSet) error {
	op := &pointOp{ctx: ctx, set: set, done: make(chan error, 1)}
	select {
	case w.ops <- op:
	case <-w.quit:
		return errClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	return <-op.done
}

// close stops taking sets and finishes those already queued.
func (w *pointWriter) close() {
	w.once.Do(func() { close(w.quit) })
	<-w.done
}

func (w *pointWriter) loop() {
	defer close(w.done)
	for {
		var first *pointOp
		select {
		case first = <-w.ops:
		case <-w.quit:
			return
		}
		group, rows := []*pointOp{first}, len(first.set.rows)
	gather:
		for rows < maxGroupRows {
			select {
			case op := <-w.ops:
				group = append(group, op)
				rows += len(op.set.rows)
			default:
				break gather
			}
		}
		w.run(group)
	}
}

// run writes a group in one transaction and answers its callers.
func (w *pointWriter) run(group []*pointOp) {
	pending := group[:0]
	for _, op := range group {
		if err := op.ctx.Err(); err != nil {
			op.done <- err
			continue
		}
		pending = append(pending, op)
	}
	if len(pending) == 0 {
		return
	}
	sets := make([]pointSet, len(pending))
	for i, op := range pending {
		sets[i] = op.set
	}
	var refused map[int]error
	// The group's transaction does not end with any one caller's context.
	ctx := context.WithoutCancel(pending[0].ctx)
	err := w.s.write(ctx, func(t *tx) error {
		var err error
		refused, err = writePoints(t, sets, invalidRef)
		return err
	})
	switch {
	case err == nil:
		for i, op := range pending {
			op.done <- refused[i]
		}
	case len(pending) == 1:
		pending[0].done <- err
	default:
		for _, op := range pending {
			w.run([]*pointOp{op})
		}
	}
}
