package postgres

import (
	"context"
	"time"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/core/artifact"
)

// Resource bytes live where core/artifact puts them (inline in the row's
// BYTEA column, in files, or in S3); a row records which, and reads and
// deletes follow the row.

// dropTimeout bounds the removal of bytes no row names any more.
const dropTimeout = time.Minute

// discard removes bytes written for a change that did not happen, even when
// the caller gave up.
func (s *Store) discard(ctx context.Context, w artifact.Written) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), dropTimeout)
	defer cancel()
	_ = s.artifacts.Delete(ctx, w.Backend, w.URI)
}

// dropBytes removes bytes that no row names any more, after the commit
// that made it so. Objects in S3 go on a goroutine of their own, as in
// core/duckdb, so that deleting a project of many does not wait on the
// network once per object; Close waits for them. A removal that fails
// leaves an orphan, never a row without its bytes.
func (s *Store) dropBytes(backend, uri string) {
	if uri == "" {
		return
	}
	drop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), dropTimeout)
		defer cancel()
		_ = s.artifacts.Delete(ctx, backend, uri)
	}
	if backend != core.BackendS3 {
		drop()
		return
	}
	s.dropping.Go(drop)
}

// inline reports whether a row's bytes are in its data column: "sqlite" is
// what DearDiary.jl called inline once.
func inline(backend string) bool {
	return backend == core.BackendInline || backend == "sqlite" || backend == ""
}
