package duckdb

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
	return getOne(ctx, s.db, scanProject, "project", id, `SELECT `+projectColumns+` FROM project WHERE id = ?`, id)
}

// ListProjects implements core.ProjectService.
func (s *Store) ListProjects(ctx context.Context, f core.ProjectFilter) ([]*core.Project, error) {
	query, args := `SELECT `+projectColumns+` FROM project WHERE (? = '' OR name = ?)`, []any{f.Name, f.Name}
	if f.ReadableBy != "" {
		u, err := getUser(ctx, s.db, f.ReadableBy)
		if err != nil {
			return nil, err
		}
		if !u.IsAdmin {
			query += ` AND id IN (SELECT project_id FROM user_permission WHERE user_id = ? AND read_permission = 1)`
			args = append(args, u.ID)
		}
	}
	return list(ctx, s.db, scanProject, query+` ORDER BY created_date, id`, args...)
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
	id, permID, now := s.ids.next("project"), s.ids.next("user_permission"), s.nowText()
	err := s.write(ctx, func(t *tx) error {
		creator, err := projectCreator(t, in.UserID)
		if err != nil {
			return err
		}
		if _, err := t.ExecContext(t.ctx, `INSERT INTO project (id, name, description, created_date) VALUES (?, ?, ?, ?)`,
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

func projectCreator(t *tx, userID string) (*core.User, error) {
	query, arg := `SELECT `+userColumns+` FROM "user" WHERE id = ?`, userID
	if userID == "" {
		query, arg = `SELECT `+userColumns+` FROM "user" WHERE username = ?`, core.DefaultUsername
	}
	u, err := getOne(t.ctx, t, scanUser, "user", arg, query, arg)
	if core.IsNotFound(err) {
		return nil, core.Invalid("user %q not found", arg)
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
		return c.apply(t.ctx, t, "project", id)
	})
}

// DeleteProject implements core.ProjectService.
func (s *Store) DeleteProject(ctx context.Context, id string) error {
	return s.write(ctx, func(t *tx) error {
		if err := mustExist(t, "project", "project", id); err != nil {
			return err
		}
		return deleteProject(t, id)
	})
}
