package postgres

import (
	"context"
	"strconv"
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
	what := userID + " in project " + projectID
	if !storable(projectID) {
		return nil, core.NotFound("permission", what)
	}
	return getOne(ctx, s.pool, scanPermission, "permission", what,
		`SELECT `+permissionColumns+` FROM user_permission WHERE user_id = $1 AND project_id = $2`, userID, projectID)
}

// ListUserPermissions implements core.PermissionService, in creation order.
func (s *Store) ListUserPermissions(ctx context.Context, f core.PermissionFilter) ([]*core.UserPermission, error) {
	var (
		where []string
		args  []any
	)
	for _, c := range []struct{ col, v string }{{"user_id", f.UserID}, {"project_id", f.ProjectID}} {
		if c.v == "" {
			continue
		}
		if !storable(c.v) {
			return []*core.UserPermission{}, nil
		}
		args = append(args, c.v)
		where = append(where, c.col+" = $"+strconv.Itoa(len(args)))
	}
	query := `SELECT ` + permissionColumns + ` FROM user_permission`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	return list(ctx, s.pool, scanPermission, query+" ORDER BY id", args...)
}

// CreateUserPermission implements core.PermissionService.
func (s *Store) CreateUserPermission(ctx context.Context, userID, projectID string, p core.Permissions) (string, error) {
	id := newID()
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
	_, err := t.Exec(t.ctx, `INSERT INTO user_permission
		(id, user_id, project_id, create_permission, read_permission, update_permission, delete_permission)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		id, userID, projectID, boolInt(p.Create), boolInt(p.Read), boolInt(p.Update), boolInt(p.Delete))
	if isUnique(err, "") {
		return core.Errorf(core.EConflict, "user %q already has a permission in project %q", userID, projectID)
	}
	return err
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
		return c.apply(t, "user_permission", id)
	})
}

// DeleteUserPermission implements core.PermissionService.
func (s *Store) DeleteUserPermission(ctx context.Context, id string) error {
	return s.write(ctx, func(t *tx) error { return deleteByID(t, "permission", "user_permission", id) })
}

// deleteByID deletes the row with id from table, or fails with NOT_FOUND.
func deleteByID(t *tx, kind, table, id string) error {
	if !storable(id) {
		return core.NotFound(kind, id)
	}
	tag, err := t.Exec(t.ctx, `DELETE FROM `+table+` WHERE id = $1`, id)
	if err == nil && tag.RowsAffected() == 0 {
		return core.NotFound(kind, id)
	}
	return err
}

// HasPermission implements core.PermissionService.
func (s *Store) HasPermission(ctx context.Context, userID, projectID string, a core.Action) (bool, error) {
	if !a.Valid() {
		return false, core.Invalid("unknown action %d", a)
	}
	u, err := getUser(ctx, s.pool, userID)
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
