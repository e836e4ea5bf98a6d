package duckdb

import (
	"context"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/core/artifact"
)

const resourceColumns = `id, experiment_id, name, COALESCE(description, ''), created_date, COALESCE(updated_date, ''),
	backend, COALESCE(uri, ''), size_bytes, COALESCE(content_hash, '')`

func scanResource(r scanner) (*core.Resource, error) {
	var (
		res              core.Resource
		created, updated string
	)
	if err := r.Scan(&res.ID, &res.ExperimentID, &res.Name, &res.Description, &created, &updated,
		&res.Backend, &res.URI, &res.SizeBytes, &res.ContentHash); err != nil {
		return nil, err
	}
	res.CreatedDate, res.UpdatedDate = storedTime(created), storedTime(updated)
	return &res, nil
}

func getResource(ctx context.Context, q querier, id string) (*core.Resource, error) {
	return getOne(ctx, q, scanResource, "resource", id, `SELECT `+resourceColumns+` FROM resource WHERE id = ?`, id)
}

// GetResource implements core.ResourceService.
func (s *Store) GetResource(ctx context.Context, id string) (*core.Resource, error) {
	return getResource(ctx, s.db, id)
}

// ListResources implements core.ResourceService.
func (s *Store) ListResources(ctx context.Context, f core.ResourceFilter) ([]*core.Resource, int, error) {
	return listPage(ctx, s, scanResource, resourceColumns, `resource WHERE experiment_id = ?`, `created_date, id`, f.Page, f.ExperimentID)
}

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
// that made it so. The writer calls it, and the writer must not wait on a
// network: objects in S3 are deleted on a goroutine of their own, which
// Close waits for. Removal failing leaves the bytes behind (an orphan, as
// DearDiary.jl leaves them), never a row without its bytes.
func (s *Store) dropBytes(backend, uri string) {
	drop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), dropTimeout)
		defer cancel()
		_ = s.artifacts.Delete(ctx, backend, uri)
	}
	if backend != core.BackendS3 {
		drop()
		return
	}
	s.dropping.Add(1)
	go func() {
		defer s.dropping.Done()
		drop()
	}()
}

// CreateResource implements core.ResourceService. The experiment is checked
// before any bytes are read, and again in the write; bytes for a write that
// fails are removed.
func (s *Store) CreateResource(ctx context.Context, in core.ResourceCreate, data io.Reader) (string, error) {
	if err := core.RequireText("resource name", in.Name); err != nil {
		return "", err
	}
	if data == nil {
		return "", core.Invalid("resource %q has no data", in.Name)
	}
	if err := core.CheckText("description", in.Description); err != nil {
		return "", err
	}
	if e, err := getExperiment(ctx, s.db, in.ExperimentID); core.IsNotFound(err) {
		return "", invalidRef("experiment", in.ExperimentID)
	} else if err != nil {
		return "", err
	} else if e.Status != core.ExperimentInProgress {
		return "", core.Invalid("experiment %q is %v; only IN_PROGRESS experiments take new iterations and resources", e.ID, e.Status)
	}
	w, err := s.artifacts.Write(ctx, data)
	if err != nil {
		return "", err
	}
	id, now := s.ids.next("resource"), s.nowText()
	err = s.write(ctx, func(t *tx) error {
		if err := openExperiment(t, in.ExperimentID); err != nil {
			return err
		}
		t.large(len(w.Inline))
		_, err := t.ExecContext(t.ctx, `INSERT INTO resource (id, experiment_id, name, description, data, created_date, updated_date,
			backend, uri, size_bytes, content_hash) VALUES (?, ?, ?, ?, ?, ?, '', ?, ?, ?, ?)`,
			id, in.ExperimentID, in.Name, in.Description, w.Data(), now, w.Backend, w.URI, w.Size, w.Hash)
		return err
	})
	if err != nil {
		s.discard(ctx, w)
		return "", err
	}
	return id, nil
}

// UpdateResource implements core.ResourceService. New bytes go to the current
// backend and the row records it; the old bytes are removed after commit.
func (s *Store) UpdateResource(ctx context.Context, id string, upd core.ResourceUpdate) error {
	var c changes
	if upd.Name != nil {
		if err := core.RequireText("resource name", *upd.Name); err != nil {
			return err
		}
		c.set("name", *upd.Name)
	}
	if upd.Description != nil {
		if err := core.CheckText("description", *upd.Description); err != nil {
			return err
		}
		c.set("description", *upd.Description)
	}
	if _, err := getResource(ctx, s.db, id); err != nil {
		return err
	}
	var w *artifact.Written
	if upd.Data != nil {
		nw, err := s.artifacts.Write(ctx, upd.Data)
		if err != nil {
			return err
		}
		w = &nw
		c.set("data", nw.Data())
		c.set("backend", nw.Backend)
		c.set("uri", nw.URI)
		c.set("size_bytes", nw.Size)
		c.set("content_hash", nw.Hash)
	}
	if !c.empty() {
		c.set("updated_date", s.nowText())
	}
	err := s.write(ctx, func(t *tx) error {
		old, err := getResource(t.ctx, t, id)
		if err != nil {
			return err
		}
		if w != nil {
			t.large(len(w.Inline))
		}
		if err := c.apply(t.ctx, t, "resource", id); err != nil {
			return err
		}
		if w != nil {
			t.dropAfterCommit(old.Backend, old.URI)
		}
		return nil
	})
	if err != nil && w != nil {
		s.discard(ctx, *w)
	}
	return err
}

// DeleteResource implements core.ResourceService.
func (s *Store) DeleteResource(ctx context.Context, id string) error {
	return s.write(ctx, func(t *tx) error {
		if err := mustExist(t, "resource", "resource", id); err != nil {
			return err
		}
		return deleteResources(t, "id = ?", id)
	})
}

// OpenResource implements core.ResourceService.
func (s *Store) OpenResource(ctx context.Context, id string) (io.ReadCloser, error) {
	_, r, err := s.openResource(ctx, id)
	return r, err
}

// openResource returns a resource's row and a reader of its bytes, from
// the backend the row names.
func (s *Store) openResource(ctx context.Context, id string) (*core.Resource, io.ReadCloser, error) {
	var (
		r    *core.Resource
		data []byte
	)
	// One snapshot for both reads: bytes moved to another backend between
	// them would otherwise read as an empty inline resource.
	err := s.read(ctx, func(q querier) error {
		var err error
		if r, err = getResource(ctx, q, id); err != nil || !inline(r.Backend) {
			return err
		}
		defer s.mem.forRead(r.SizeBytes)()
		return q.QueryRowContext(ctx, `SELECT data FROM resource WHERE id = ?`, id).Scan(&data)
	})
	if err != nil {
		return nil, nil, err
	}
	rc, err := s.artifacts.Open(ctx, r.Backend, r.URI, data)
	return r, rc, err
}

// inline reports whether a row's bytes are in its data column: "sqlite" is
// what DearDiary.jl called inline once.
func inline(backend string) bool { return backend == core.BackendInline || backend == "sqlite" }

// MigrateResult counts what MigrateArtifacts did.
type MigrateResult struct {
	Migrated, Skipped, Failed int
}

// MigrateArtifacts moves resource bytes to the configured backend, one
// resource per transaction: inline bytes to the filesystem, inline and
// filesystem bytes to S3. A file left behind is removed once its row names
// the new place. It is idempotent and can be stopped and rerun: a resource
// that failed, or was not reached, stays where it was for the next pass,
// and a pass that finds nothing to move moves nothing. It returns ctx's
// error when ctx ends it early.
func (s *Store) MigrateArtifacts(ctx context.Context) (MigrateResult, error) {
	var res MigrateResult
	if s.w == nil {
		return res, core.Invalid("the database %s is open read-only", s.path)
	}
	var from []any
	switch s.artifacts.Backend() {
	case core.BackendFilesystem:
		from = []any{core.BackendInline, "sqlite"}
	case core.BackendS3:
		from = []any{core.BackendInline, "sqlite", core.BackendFilesystem}
	default:
		return res, core.Invalid("the artifact backend is inline: open the store with the filesystem or s3 backend to migrate (ddd: DEARDIARY_ARTIFACT_BACKEND=filesystem or s3)")
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id FROM resource WHERE backend IN (?`+strings.Repeat(", ?", len(from)-1)+`) ORDER BY created_date, id`, from...)
	if err != nil {
		return res, err
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return res, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return res, err
	}
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		switch moved, err := s.migrateOne(ctx, id, from); {
		case err != nil:
			res.Failed++
		case moved:
			res.Migrated++
		default:
			res.Skipped++
		}
	}
	return res, ctx.Err()
}

// migrateOne copies a resource's bytes to the configured backend and points
// its row there, provided the row still names the bytes that were copied.
func (s *Store) migrateOne(ctx context.Context, id string, from []any) (bool, error) {
	r, body, err := s.openResource(ctx, id)
	if core.IsNotFound(err) {
		return false, nil // deleted since the pass began
	}
	if err != nil {
		return false, err
	}
	if !slices.Contains(from, any(r.Backend)) {
		body.Close()
		return false, nil // moved since the pass began
	}
	w, err := s.artifacts.Write(ctx, body)
	body.Close()
	if err != nil {
		return false, err
	}
	moved := false
	now := s.nowText()
	err = s.write(ctx, func(t *tx) error {
		res, err := t.ExecContext(t.ctx, `UPDATE resource SET backend = ?, uri = ?, size_bytes = ?, content_hash = ?,
			data = ?, updated_date = ? WHERE id = ? AND backend = ? AND COALESCE(uri, '') = ?`,
			w.Backend, w.URI, w.Size, w.Hash, []byte{}, now, id, r.Backend, r.URI)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		moved = n > 0
		return err
	})
	if err != nil || !moved {
		s.discard(ctx, w)
		return false, err
	}
	if !inline(r.Backend) {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), dropTimeout)
		defer cancel()
		_ = s.artifacts.Delete(dctx, r.Backend, r.URI)
	}
	return true, nil
}
