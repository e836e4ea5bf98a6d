package postgres

import (
	"context"

	"github.com/deardiary/deardiary-go/core"
)

const projectColumns = `id, name, COALESCE(description, ''), created_date`

func scanProject(r scanner) (*core.Project, error) {
	var (
		p       core.Project
		created string
	)
	if err := r.Scan(&p.ID, &p.Name, &p.Description, &created); err != nil {
		return nil, err
	}
	p.CreatedDate = storedTime(created)
	return &p, nil
}

// GetProject implements core.ProjectService.
func (s *Store) GetProject(ctx context.Context, id string) (*core.Project, error) {
	return getOne(ctx, s.pool, scanProject, "project", id, `SELECT `+projectColumns+` FROM project WHERE id = $1`, id)
}

// ListProjects implements core.ProjectService.
func (s *Store) ListProjects(ctx context.Context, f core.ProjectFilter) ([]*core.Project, error) {
	if !storable(f.Name) {
		return []*core.Project{}, nil
	}
	query, args := `SELECT `+projectColumns+` FROM project WHERE ($1 = '' OR name = $1)`, []any{f.Name}
	if f.ReadableBy != "" {
		u, err := getUser(ctx, s.pool, f.ReadableBy)
		if err != nil {
			return nil, err
		}
		if !u.IsAdmin {
			query += ` AND id IN (SELECT project_id FROM user_permission WHERE user_id = $2 AND read_permission = 1)`
			args = append(args, u.ID)
		}
	}
	return list(ctx, s.pool, scanProject, query+` ORDER BY created_date, id`, args...)
}

// CreateProject implements core.ProjectService. The creator must be an admin
// and gets a read permission on the project, as upstream.
func (s *Store) CreateProject(ctx context.Context, in core.ProjectCreate) (string, error) {
	if err := core.RequireText("project name", in.Name); err != nil {
		return "", err
	}
	if err := core.CheckText("description", in.Description); err != nil {
		return "", err
	}
	id, permID, now := newID(), newID(), s.nowText()
	err := s.write(ctx, func(t *tx) error {
		creator, err := projectCreator(t, in.UserID)
		if err != nil {
			return err
		}
		if _, err := t.Exec(t.ctx, `INSERT INTO project (id, name, description, created_date) VALUES ($1, $2, $3, $4)`,
			id, in.Name, in.Description, now); err != nil {
			return err
		}
		return insertPermission(t, permID, creator.ID, id, core.Permissions{Read: true})
	})
	if err != nil {
		return "", err
	}
	return id, nil
}

// projectCreator returns the creating user (the default user for ""),
// which must be an admin, and holds it until the transaction ends.
func projectCreator(t *tx, userID string) (*core.User, error) {
	query, arg := `SELECT `+userColumns+` FROM "user" WHERE id = $1 FOR SHARE`, userID
	if userID == "" {
		query, arg = `SELECT `+userColumns+` FROM "user" WHERE username = $1 FOR SHARE`, core.DefaultUsername
	}
	u, err := getOne(t.ctx, t, scanUser, "user", arg, query, arg)
	if core.IsNotFound(err) {
		return nil, invalidRef("user", arg)
	}
	if err != nil {
		return nil, err
	}
	if !u.IsAdmin {
		return nil, core.Invalid("only admins can create projects, and %q is not one", u.Username)
	}
	return u, nil
}

// UpdateProject implements core.ProjectService.
func (s *Store) UpdateProject(ctx context.Context, id string, upd core.ProjectUpdate) error {
	var c changes
	if upd.Name != nil {
		if err := core.RequireText("project name", *upd.Name); err != nil {
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
	return s.write(ctx, func(t *tx) error {
		if err := mustExist(t, "project", "project", id); err != nil {
			return err
		}
		return c.apply(t, "project", id)
	})
}

// DeleteProject implements core.ProjectService.
func (s *Store) DeleteProject(ctx context.Context, id string) error {
	return s.write(ctx, func(t *tx) error { return deleteProject(t, id) })
}
