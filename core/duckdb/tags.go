package duckdb

import (
	"context"

	"github.com/deardiary/deardiary-go/core"
)

func scanTag(r scanner) (*core.Tag, error) {
	var t core.Tag
	if err := r.Scan(&t.ID, &t.Value); err != nil {
		return nil, err
	}
	return &t, nil
}

// GetTag implements core.TagService.
func (s *Store) GetTag(ctx context.Context, id string) (*core.Tag, error) {
	return getOne(ctx, s.db, scanTag, "tag", id, `SELECT id, value FROM tag WHERE id = ?`, id)
}

// GetTagByValue implements core.TagService.
func (s *Store) GetTagByValue(ctx context.Context, value string) (*core.Tag, error) {
	return getOne(ctx, s.db, scanTag, "tag", value, `SELECT id, value FROM tag WHERE value = ?`, value)
}

func tagID(t *tx, value string) (string, error) {
	var id string
	err := t.QueryRowContext(t.ctx, `SELECT id FROM tag WHERE value = ?`, value).Scan(&id)
	if noRow(err) {
		return "", nil
	}
	return id, err
}

// CreateTag implements core.TagService.
func (s *Store) CreateTag(ctx context.Context, value string) (string, error) {
	if err := core.RequireText("tag", value); err != nil {
		return "", err
	}
	id := s.ids.next("tag")
	err := s.write(ctx, func(t *tx) error {
		existing, err := tagID(t, value)
		if err != nil {
			return err
		}
		if existing != "" {
			return core.Errorf(core.EConflict, "tag %q exists", value)
		}
		_, err = t.ExecContext(t.ctx, `INSERT INTO tag (id, value) VALUES (?, ?)`, id, value)
		return err
	})
	if err != nil {
		return "", err
	}
	return id, nil
}

// DeleteTag implements core.TagService.
func (s *Store) DeleteTag(ctx context.Context, id string) error {
	return s.write(ctx, func(t *tx) error {
		if err := mustExist(t, "tag", "tag", id); err != nil {
			return err
		}
		var uses int
		if err := t.QueryRowContext(t.ctx, `SELECT (SELECT count(*) FROM project_tag WHERE tag_id = $1)
			+ (SELECT count(*) FROM experiment_tag WHERE tag_id = $1) + (SELECT count(*) FROM iteration_tag WHERE tag_id = $1)`, id).Scan(&uses); err != nil {
			return err
		}
		if uses > 0 {
			return core.Errorf(core.EConflict, "tag %q is attached to %d entities: detach it from each first", id, uses)
		}
		_, err := t.ExecContext(t.ctx, `DELETE FROM tag WHERE id = ?`, id)
		return err
	})
}

// association returns the table and id column that attach tags to kind.
func association(kind core.Kind) (table, column string, err error) {
	if !kind.Valid() {
		return "", "", core.Invalid("tags attach to projects, experiments and iterations, not %q", kind)
	}
	return string(kind) + "_tag", string(kind) + "_id", nil
}

// ListTags implements core.TagService.
func (s *Store) ListTags(ctx context.Context, kind core.Kind, id string) ([]*core.Tag, error) {
	table, column, err := association(kind)
	if err != nil {
		return nil, err
	}
	return list(ctx, s.db, scanTag, `SELECT t.id, t.value FROM `+table+` a JOIN tag t ON t.id = a.tag_id
		WHERE a.`+column+` = ? ORDER BY a.rowid`, id)
}

// taggable checks that the entity exists (else EInvalid, it is referred to)
// and, for an iteration, that it is still running.
func taggable(t *tx, kind core.Kind, id string, missing func(kind, id string) *core.Error) error {
	if kind == core.KindIteration {
		_, err := runningIteration(t, id, missing)
		return err
	}
	ok, err := exists(t.ctx, t, string(kind), id)
	if err != nil {
		return err
	}
	if !ok {
		return missing(string(kind), id)
	}
	return nil
}

// AttachTag implements core.TagService.
func (s *Store) AttachTag(ctx context.Context, kind core.Kind, entity, value string) (string, error) {
	_, _, err := association(kind)
	if err != nil {
		return "", err
	}
	if err := core.RequireText("tag", value); err != nil {
		return "", err
	}
	var id string
	err = s.write(ctx, func(t *tx) error {
		if err := taggable(t, kind, entity, invalidRef); err != nil {
			return err
		}
		id, err = attachTag(t, kind, entity, value, false)
		return err
	})
	if err != nil {
		return "", err
	}
	return id, nil
}

// attachTag attaches a tag, created if new, and returns the attachment's id.
// An existing attachment is EConflict, or its id when already is true.
func attachTag(t *tx, kind core.Kind, entity, value string, already bool) (string, error) {
	table, column, err := association(kind)
	if err != nil {
		return "", err
	}
	tag, err := tagID(t, value)
	if err != nil {
		return "", err
	}
	if tag == "" {
		tag = t.ids.next("tag")
		if _, err := t.ExecContext(t.ctx, `INSERT INTO tag (id, value) VALUES (?, ?)`, tag, value); err != nil {
			return "", err
		}
	} else {
		var existing string
		err := t.QueryRowContext(t.ctx, `SELECT id FROM `+table+` WHERE `+column+` = ? AND tag_id = ?`, entity, tag).Scan(&existing)
		switch {
		case err == nil && already:
			return existing, nil
		case err == nil:
			return "", core.Errorf(core.EConflict, "tag %q is already attached to %s %q", value, kind, entity)
		case !noRow(err):
			return "", err
		}
	}
	id := t.ids.next(table)
	_, err = t.ExecContext(t.ctx, `INSERT INTO `+table+` (id, `+column+`, tag_id) VALUES (?, ?, ?)`, id, entity, tag)
	return id, err
}

// DetachTag implements core.TagService. The tag itself stays.
func (s *Store) DetachTag(ctx context.Context, kind core.Kind, id, value string) error {
	table, column, err := association(kind)
	if err != nil {
		return err
	}
	return s.write(ctx, func(t *tx) error {
		if err := taggable(t, kind, id, core.NotFound); err != nil {
			return err
		}
		res, err := t.ExecContext(t.ctx, `DELETE FROM `+table+` WHERE `+column+` = ? AND tag_id IN (SELECT id FROM tag WHERE value = ?)`, id, value)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return core.Errorf(core.ENotFound, "tag %q is not attached to %s %q", value, kind, id)
		}
		return nil
	})
}
