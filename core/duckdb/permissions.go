package duckdb

import (
	"context"
	"strings"

	"github.com/deardiary/deardiary-go/core"
)

const permissionColumns = `id, user_id, project_id, COALESCE(create_permission, 0), COALESCE(read_permission, 0),
	COALESCE(update_permission, 0), COALESCE(delete_permission, 0)`

func scanPermission(r scanner) (*core.UserPermission, error) {
	var (
		p           core.UserPermission
		c, rd, u, d int64
	)
	if err := r.Scan(&p.ID, &p.UserID, &p.ProjectID, &c, &rd, &u, &d); err != nil {
		return nil, err
	}
	p.Permissions = core.Permissions{Create: c != 0, Read: rd != 0, Update: u != 0, Delete: d != 0}
	return &p, nil
}

// GetUserPermission implements core.PermissionService.
func (s *Store) GetUserPermission(ctx context.Context, userID, projectID string) (*core.UserPermission, error) {
	return getOne(ctx, s.db, scanPermission, "permission", userID+" in project "+projectID,
		`SELECT `+permissionColumns+` FROM user_permission WHERE user_id = ? AND project_id = ?`, userID, projectID)
}

// ListUserPermissions implements core.PermissionService.
func (s *Store) ListUserPermissions(ctx context.Context, f core.PermissionFilter) ([]*core.UserPermission, error) {
	var (
		where []string
		args  []any
	)
	if f.UserID != "" {
		where, args = append(where, "user_id = ?"), append(args, f.UserID)
	}
	if f.ProjectID != "" {
		where, args = append(where, "project_id = ?"), append(args, f.ProjectID)
	}
	query := `SELECT ` + permissionColumns + ` FROM user_permission`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	return list(ctx, s.db, scanPermission, query+" ORDER BY rowid", args...)
}

// CreateUserPermission implements core.PermissionService.
func (s *Store) CreateUserPermission(ctx context.Context, userID, projectID string, p core.Permissions) (string, error) {
	id := s.ids.next("user_permission")
	err := s.write(ctx, func(t *tx) error {
		if err := requireEntity(t, "user", `"user"`, userID); err != nil {
			return err
		}
		if err := requireEntity(t, "project", "project", projectID); err != nil {
			return err
		}
		return insertPermission(t, id, userID, projectID, p)
	})
	if err != nil {
		return "", err
	}
	return id, nil
}

func insertPermission(t *tx, id, userID, projectID string, p core.Permissions) error {
	var n int
	if err := t.QueryRowContext(t.ctx, `SELECT count(*) FROM user_permission WHERE user_id = ? AND project_id = ?`, userID, projectID).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return core.Errorf(core.EConflict, "user %q already has a permission in project %q", userID, projectID)
	}
	_, err := t.ExecContext(t.ctx, `INSERT INTO user_permission
		(id, user_id, project_id, create_permission, read_permission, update_permission, delete_permission)
		VALUES (?, ?, ?, ?, ?, ?, ?)`,
		id, userID, projectID, boolInt(p.Create), boolInt(p.Read), boolInt(p.Update), boolInt(p.Delete))
	return err
}

// requireEntity fails with EInvalid when a referenced entity is missing: the
// input names something that is not there.
func requireEntity(t *tx, kind, table, id string) error {
	ok, err := exists(t.ctx, t, table, id)
	if err != nil {
		return err
	}
	if !ok {
		return core.Invalid("%s %q not found", kind, id)
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

// UpdateUserPermission implements core.PermissionService.
func (s *Store) UpdateUserPermission(ctx context.Context, id string, upd core.PermissionUpdate) error {
	var c changes
	for _, f := range []struct {
		col string
		v   *bool
	}{{"create_permission", upd.Create}, {"read_permission", upd.Read}, {"update_permission", upd.Update}, {"delete_permission", upd.Delete}} {
		if f.v != nil {
			c.set(f.col, boolInt(*f.v))
		}
	}
	return s.write(ctx, func(t *tx) error {
		if err := mustExist(t, "permission", "user_permission", id); err != nil {
			return err
		}
		return c.apply(t.ctx, t, "user_permission", id)
	})
}

// DeleteUserPermission implements core.PermissionService.
func (s *Store) DeleteUserPermission(ctx context.Context, id string) error {
	return s.write(ctx, func(t *tx) error {
		if err := mustExist(t, "permission", "user_permission", id); err != nil {
			return err
		}
		_, err := t.ExecContext(t.ctx, `DELETE FROM user_permission WHERE id = ?`, id)
		return err
	})
}

// HasPermission implements core.PermissionService.
func (s *Store) HasPermission(ctx context.Context, userID, projectID string, a core.Action) (bool, error) {
	if !a.Valid() {
		return false, core.Invalid("unknown action %d", a)
	}
	u, err := getUser(ctx, s.db, userID)
	if err != nil {
		return false, err
	}
	if u.IsAdmin {
		return true, nil
	}
	p, err := s.GetUserPermission(ctx, userID, projectID)
	if core.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return p.Allows(a), nil
}
