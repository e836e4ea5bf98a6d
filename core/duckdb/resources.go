package duckdb

import (
	"context"
	"io"

	"github.com/deardiary/deardiary-go/core"
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

// discard removes bytes written for a change that did not happen.
func discard(w written) { _ = removeArtifact(w.backend, w.uri) }

// CreateResource implements core.ResourceService. The experiment is checked
// before any bytes are read, and again in the write; bytes for a write that
// fails are removed.
func (s *Store) CreateResource(ctx context.Context, in core.ResourceCreate, data io.Reader) (string, error) {
	if err := requireText("resource name", in.Name); err != nil {
		return "", err
	}
	if data == nil {
		return "", core.Invalid("resource %q has no data", in.Name)
	}
	if err := checkText("description", in.Description); err != nil {
		return "", err
	}
	if e, err := getExperiment(ctx, s.db, in.ExperimentID); core.IsNotFound(err) {
		return "", invalidRef("experiment", in.ExperimentID)
	} else if err != nil {
		return "", err
	} else if e.Status != core.ExperimentInProgress {
		return "", core.Invalid("experiment %q is %v; only IN_PROGRESS experiments take new iterations and resources", e.ID, e.Status)
	}
	w, err := s.artifacts.write(data)
	if err != nil {
		return "", err
	}
	id, now := s.ids.next("resource"), s.nowText()
	err = s.write(ctx, func(t *tx) error {
		if err := openExperiment(t, in.ExperimentID); err != nil {
			return err
		}
		t.large(len(w.inline))
		_, err := t.ExecContext(t.ctx, `INSERT INTO resource (id, experiment_id, name, description, data, created_date, updated_date,
			backend, uri, size_bytes, content_hash) VALUES (?, ?, ?, ?, ?, ?, '', ?, ?, ?, ?)`,
			id, in.ExperimentID, in.Name, in.Description, blob(w), now, w.backend, w.uri, w.size, w.hash)
		return err
	})
	if err != nil {
		discard(w)
		return "", err
	}
	return id, nil
}

// blob is the data column's value: the bytes for inline rows, an empty BLOB
// for external ones, as upstream writes them.
func blob(w written) []byte {
	if w.inline != nil {
		return w.inline
	}
	return []byte{}
}

// UpdateResource implements core.ResourceService. New bytes go to the current
// backend and the row records it; the old bytes are removed after commit.
func (s *Store) UpdateResource(ctx context.Context, id string, upd core.ResourceUpdate) error {
	var c changes
	if upd.Name != nil {
		if err := requireText("resource name", *upd.Name); err != nil {
			return err
		}
		c.set("name", *upd.Name)
	}
	if upd.Description != nil {
		if err := checkText("description", *upd.Description); err != nil {
			return err
		}
		c.set("description", *upd.Description)
	}
	if _, err := getResource(ctx, s.db, id); err != nil {
		return err
	}
	var w *written
	if upd.Data != nil {
		nw, err := s.artifacts.write(upd.Data)
		if err != nil {
			return err
		}
		w = &nw
		c.set("data", blob(nw))
		c.set("backend", nw.backend)
		c.set("uri", nw.uri)
		c.set("size_bytes", nw.size)
		c.set("content_hash", nw.hash)
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
			t.large(len(w.inline))
		}
		if err := c.apply(t.ctx, t, "resource", id); err != nil {
			return err
		}
		if w != nil {
			t.afterCommit(func() { _ = removeArtifact(old.Backend, old.URI) })
		}
		return nil
	})
	if err != nil && w != nil {
		discard(*w)
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
	var (
		r    *core.Resource
		data []byte
	)
	// One snapshot for both reads: bytes moved to another backend between
	// them would otherwise read as an empty inline resource.
	err := s.read(ctx, func(q querier) error {
		var err error
		if r, err = getResource(ctx, q, id); err != nil || (r.Backend != core.BackendInline && r.Backend != "sqlite") {
			return err
		}
		defer s.mem.forRead(r.SizeBytes)()
		return q.QueryRowContext(ctx, `SELECT data FROM resource WHERE id = ?`, id).Scan(&data)
	})
	if err != nil {
		return nil, err
	}
	return openArtifact(r.Backend, r.URI, data)
}

// MigrateResult counts what MigrateArtifacts did.
type MigrateResult struct {
	Migrated, Skipped, Failed int
}

// MigrateArtifacts moves the bytes of every inline resource to the configured
// external backend, one resource per transaction. It is idempotent and can be
// stopped and rerun: a resource that failed stays inline for the next pass.
func (s *Store) MigrateArtifacts(ctx context.Context) (MigrateResult, error) {
	var res MigrateResult
	if _, inline := s.artifacts.(inlineStore); inline {
		return res, core.Invalid("the artifact backend is inline: open the store with the filesystem backend to migrate (ddd: DEARDIARY_ARTIFACT_BACKEND=filesystem)")
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id FROM resource WHERE backend IN ('inline', 'sqlite') ORDER BY created_date, id`)
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
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		switch moved, err := s.migrateOne(ctx, id); {
		case err != nil:
			res.Failed++
		case moved:
			res.Migrated++
		default:
			res.Skipped++
		}
	}
	return res, nil
}

func (s *Store) migrateOne(ctx context.Context, id string) (bool, error) {
	r, err := s.OpenResource(ctx, id)
	if err != nil {
		return false, err
	}
	w, err := s.artifacts.write(r)
	r.Close()
	if err != nil {
		return false, err
	}
	moved := false
	now := s.nowText()
	err = s.write(ctx, func(t *tx) error {
		res, err := t.ExecContext(t.ctx, `UPDATE resource SET backend = ?, uri = ?, size_bytes = ?, content_hash = ?,
			data = ?, updated_date = ? WHERE id = ? AND backend IN ('inline', 'sqlite')`,
			w.backend, w.uri, w.size, w.hash, []byte{}, now, id)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		moved = n > 0
		return err
	})
	if err != nil || !moved {
		discard(w)
	}
	return moved, err
}
