package postgres

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
	return getOne(ctx, s.pool, scanTag, "tag", id, `SELECT id, value FROM tag WHERE id = $1`, id)
}

// GetTagByValue implements core.TagService.
func (s *Store) GetTagByValue(ctx context.Context, value string) (*core.Tag, error) {
	return getOne(ctx, s.pool, scanTag, "tag", value, `SELECT id, value FROM tag WHERE value = $1`, value)
}

// CreateTag implements core.TagService.
func (s *Store) CreateTag(ctx context.Context, value string) (string, error) {
	if err := core.RequireText("tag", value); err != nil {
		return "", err
	}
	id := newID()
	err := s.write(ctx, func(t *tx) error {
		_, err := t.Exec(t.ctx, `INSERT INTO tag (id, value) VALUES ($1, $2)`, id, value)
		if isUnique(err, "") {
			return core.Errorf(core.EConflict, "tag %q exists", value)
		}
		return err
	})
	if err != nil {
		return "", err
	}
	return id, nil
}

// DeleteTag implements core.TagService. A tag still attached is refused,
// as upstream's foreign keys refuse it; here the attachments' foreign keys
// (without a cascade) refuse it too, so an attachment made meanwhile by
// another process cannot be left without its tag.
func (s *Store) DeleteTag(ctx context.Context, id string) error {
	return s.write(ctx, func(t *tx) error {
		var uses int
		if storable(id) {
			if err := t.QueryRow(t.ctx, `SELECT (SELECT count(*) FROM project_tag WHERE tag_id = $1)
				+ (SELECT count(*) FROM experiment_tag WHERE tag_id = $1) + (SELECT count(*) FROM iteration_tag WHERE tag_id = $1)`, id).Scan(&uses); err != nil {
				return err
			}
		}
		attached := func() error {
			return core.Errorf(core.EConflict, "tag %q is attached to %d entities: detach it from each first", id, uses)
		}
		if uses > 0 {
			return attached()
		}
		err := deleteByID(t, "tag", "tag", id)
		if pgCode(err) == foreignKeyViolation {
			uses = 1 // attached since the count
			return attached()
		}
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

// ListTags implements core.TagService, in attach order (attachment ids are
// time-ordered).
func (s *Store) ListTags(ctx context.Context, kind core.Kind, id string) ([]*core.Tag, error) {
	table, column, err := association(kind)
	if err != nil {
		return nil, err
	}
	if !storable(id) {
		return []*core.Tag{}, nil
	}
	return list(ctx, s.pool, scanTag, `SELECT t.id, t.value FROM `+table+` a JOIN tag t ON t.id = a.tag_id
		WHERE a.`+column+` = $1 ORDER BY a.id`, id)
}

// taggable checks that the entity exists (else missing) and, for an
// iteration, that it is still running, which the iteration's lock keeps so
// until the transaction ends. A project or experiment deleted meanwhile
// fails the attachment's foreign key instead.
func taggable(t *tx, kind core.Kind, id string, missing func(kind, id string) *core.Error) error {
	if kind == core.KindIteration {
		return runningIteration(t, id, missing)
	}
	found, err := exists(t.ctx, t, string(kind), id)
	if err != nil {
		return err
	}
	if !found {
		return missing(string(kind), id)
	}
	return nil
}

// AttachTag implements core.TagService.
func (s *Store) AttachTag(ctx context.Context, kind core.Kind, entity, value string) (string, error) {
	if _, _, err := association(kind); err != nil {
		return "", err
	}
	if err := core.RequireText("tag", value); err != nil {
		return "", err
	}
	var id string
	err := s.write(ctx, func(t *tx) error {
		if err := taggable(t, kind, entity, invalidRef); err != nil {
			return err
		}
		var err error
		id, err = attachTag(t, kind, entity, value, false)
		return err
	})
	if err != nil {
		return "", err
	}
	return id, nil
}

// attachTag attaches a tag, created if new, and returns the attachment's id.
// An existing attachment is EConflict, or its id when already is true. The
// upserts make both steps safe against another process doing the same.
func attachTag(t *tx, kind core.Kind, entity, value string, already bool) (string, error) {
	table, column, err := association(kind)
	if err != nil {
		return "", err
	}
	var tag string
	// The no-op update locks the tag, so it cannot be deleted before the
	// attachment commits, and returns its id whether or not it is new.
	if err := t.QueryRow(t.ctx, `INSERT INTO tag (id, value) VALUES ($1, $2)
		ON CONFLICT (value) DO UPDATE SET value = excluded.value RETURNING id`, newID(), value).Scan(&tag); err != nil {
		return "", err
	}
	id := newID()
	var got string
	err = t.QueryRow(t.ctx, `INSERT INTO `+table+` (id, `+column+`, tag_id) VALUES ($1, $2, $3)
		ON CONFLICT (`+column+`, tag_id) DO NOTHING RETURNING id`, id, entity, tag).Scan(&got)
	if !noRow(err) {
		return got, err
	}
	if !already {
		return "", core.Errorf(core.EConflict, "tag %q is already attached to %s %q", value, kind, entity)
	}
	err = t.QueryRow(t.ctx, `SELECT id FROM `+table+` WHERE `+column+` = $1 AND tag_id = $2`, entity, tag).Scan(&got)
	return got, err
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
		if !storable(value) {
			return core.Errorf(core.ENotFound, "tag %q is not attached to %s %q", value, kind, id)
		}
		res, err := t.Exec(t.ctx, `DELETE FROM `+table+` WHERE `+column+` = $1 AND tag_id IN (SELECT id FROM tag WHERE value = $2)`, id, value)
		if err != nil {
			return err
		}
		if res.RowsAffected() == 0 {
			return core.Errorf(core.ENotFound, "tag %q is not attached to %s %q", value, kind, id)
		}
		return nil
	})
}
