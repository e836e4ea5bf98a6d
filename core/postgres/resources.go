package postgres

import (
	"context"
	"io"
	"slices"

	"github.com/jackc/pgx/v5"

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
	return getOne(ctx, q, scanResource, "resource", id, `SELECT `+resourceColumns+` FROM resource WHERE id = $1`, id)
}

// GetResource implements core.ResourceService.
func (s *Store) GetResource(ctx context.Context, id string) (*core.Resource, error) {
	return getResource(ctx, s.pool, id)
}

// ListResources implements core.ResourceService.
func (s *Store) ListResources(ctx context.Context, f core.ResourceFilter) ([]*core.Resource, int, error) {
	if !storable(f.ExperimentID) {
		return []*core.Resource{}, 0, nil
	}
	return listPage(ctx, s.pool, scanResource, resourceColumns, `resource WHERE experiment_id = $1`, `created_date, id`, f.Page, f.ExperimentID)
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
	if s.cfg.readOnly {
		return "", errReadOnly
	}
	if e, err := getExperiment(ctx, s.pool, in.ExperimentID); core.IsNotFound(err) {
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
	id, now := newID(), s.nowText()
	err = s.write(ctx, func(t *tx) error {
		if err := openExperiment(t, in.ExperimentID); err != nil {
			return err
		}
		_, err := t.Exec(t.ctx, `INSERT INTO resource (id, experiment_id, name, description, data, created_date, updated_date,
			backend, uri, size_bytes, content_hash) VALUES ($1, $2, $3, $4, $5, $6, '', $7, $8, $9, $10)`,
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
	if s.cfg.readOnly {
		return errReadOnly
	}
	if _, err := getResource(ctx, s.pool, id); err != nil {
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
		old, err := getOne(t.ctx, t, scanResource, "resource", id, `SELECT `+resourceColumns+` FROM resource WHERE id = $1 FOR UPDATE`, id)
		if err != nil {
			return err
		}
		if err := c.apply(t, "resource", id); err != nil {
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

// DeleteResource implements core.ResourceService. Versions that used it
// keep going without one (ON DELETE SET NULL).
func (s *Store) DeleteResource(ctx context.Context, id string) error {
	return s.write(ctx, func(t *tx) error {
		if !storable(id) {
			return core.NotFound("resource", id)
		}
		gone, err := deleteResources(t, `id = $1`, id)
		if err == nil && gone == 0 {
			return core.NotFound("resource", id)
		}
		return err
	})
}

// OpenResource implements core.ResourceService.
func (s *Store) OpenResource(ctx context.Context, id string) (io.ReadCloser, error) {
	_, r, err := s.openResource(ctx, id)
	return r, err
}

// openResource returns a resource's row and a reader of its bytes, from the
// backend the row names. Row and inline bytes come from one query, so bytes
// moved to another backend in between cannot read as an empty inline
// resource.
func (s *Store) openResource(ctx context.Context, id string) (*core.Resource, io.ReadCloser, error) {
	var data []byte
	r, err := getOne(ctx, s.pool, func(row scanner) (*core.Resource, error) {
		return scanResource(withTrailing{row, &data})
	}, "resource", id, `SELECT `+resourceColumns+`, CASE WHEN backend IN ('inline', 'sqlite', '') THEN data END FROM resource WHERE id = $1`, id)
	if err != nil {
		return nil, nil, err
	}
	rc, err := s.artifacts.Open(ctx, r.Backend, r.URI, data)
	return r, rc, err
}

// MigrateResult counts what MigrateArtifacts did.
type MigrateResult struct {
	Migrated, Skipped, Failed int
}

// MigrateArtifacts moves resource bytes to the configured backend, as
// core/duckdb's does: inline bytes to the filesystem, inline and filesystem
// bytes to S3, one resource at a time. Each is copied, then its row is
// pointed at the copy in a transaction of its own if it still names the
// bytes that were copied; the old bytes go after that commit. It is
// idempotent and can be stopped and rerun, from any process sharing the
// database. It returns ctx's error when ctx ends it early.
func (s *Store) MigrateArtifacts(ctx context.Context) (MigrateResult, error) {
	var res MigrateResult
	if s.cfg.readOnly {
		return res, errReadOnly
	}
	var from []string
	switch s.artifacts.Backend() {
	case core.BackendFilesystem:
		from = []string{core.BackendInline, "sqlite"}
	case core.BackendS3:
		from = []string{core.BackendInline, "sqlite", core.BackendFilesystem}
	default:
		return res, core.Invalid("the artifact backend is inline: open the store with the filesystem or s3 backend to migrate (ddd: DEARDIARY_ARTIFACT_BACKEND=filesystem or s3)")
	}
	rows, err := s.pool.Query(ctx, `SELECT id FROM resource WHERE backend = ANY($1) ORDER BY created_date, id`, from)
	if err != nil {
		return res, fold(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return res, fold(err)
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
func (s *Store) migrateOne(ctx context.Context, id string, from []string) (bool, error) {
	r, body, err := s.openResource(ctx, id)
	if core.IsNotFound(err) {
		return false, nil // deleted since the pass began
	}
	if err != nil {
		return false, err
	}
	if !slices.Contains(from, r.Backend) {
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
		tag, err := t.Exec(t.ctx, `UPDATE resource SET backend = $1, uri = $2, size_bytes = $3, content_hash = $4,
			data = $5, updated_date = $6 WHERE id = $7 AND backend = $8 AND COALESCE(uri, '') = $9`,
			w.Backend, w.URI, w.Size, w.Hash, []byte{}, now, id, r.Backend, r.URI)
		moved = err == nil && tag.RowsAffected() > 0
		if moved && !inline(r.Backend) {
			t.dropAfterCommit(r.Backend, r.URI)
		}
		return err
	})
	if err != nil || !moved {
		s.discard(ctx, w)
		return false, err
	}
	return true, nil
}

// withTrailing scans a row with one more column than its scan function reads.
type withTrailing struct {
	r    scanner
	last any
}

func (w withTrailing) Scan(dest ...any) error {
	return w.r.Scan(append(dest, w.last)...)
}
