package postgres

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

// discard removes bytes written for a change that did not happen.
func discard(w written) { removeArtifact(w.backend, w.uri) }

// blob is the data column's value: the bytes for inline rows, an empty one
// for external rows, as upstream writes them.
func blob(w written) []byte {
	if w.inline != nil {
		return w.inline
	}
	return []byte{}
}

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
	w, err := s.artifacts.write(data)
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
			id, in.ExperimentID, in.Name, in.Description, blob(w), now, w.backend, w.uri, w.size, w.hash)
		return err
	})
	if err != nil {
		discard(w)
		return "", err
	}
	return id, nil
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
	if s.cfg.readOnly {
		return errReadOnly
	}
	if _, err := getResource(ctx, s.pool, id); err != nil {
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
		old, err := getOne(t.ctx, t, scanResource, "resource", id, `SELECT `+resourceColumns+` FROM resource WHERE id = $1 FOR UPDATE`, id)
		if err != nil {
			return err
		}
		if err := c.apply(t, "resource", id); err != nil {
			return err
		}
		if w != nil {
			t.afterCommit(func() { removeArtifact(old.Backend, old.URI) })
		}
		return nil
	})
	if err != nil && w != nil {
		discard(*w)
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

// OpenResource implements core.ResourceService. Row and bytes come from one
// query, so bytes moved to another backend in between cannot read as an
// empty inline resource.
func (s *Store) OpenResource(ctx context.Context, id string) (io.ReadCloser, error) {
	var data []byte
	r, err := getOne(ctx, s.pool, func(row scanner) (*core.Resource, error) {
		return scanResource(withTrailing{row, &data})
	}, "resource", id, `SELECT `+resourceColumns+`, CASE WHEN backend IN ('inline', 'sqlite', '') THEN data END FROM resource WHERE id = $1`, id)
	if err != nil {
		return nil, err
	}
	return openArtifact(r.Backend, r.URI, data)
}

// withTrailing scans a row with one more column than its scan function reads.
type withTrailing struct {
	r    scanner
	last any
}

func (w withTrailing) Scan(dest ...any) error {
	return w.r.Scan(append(dest, w.last)...)
}
