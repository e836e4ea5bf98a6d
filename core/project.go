package core

import (
	"context"
	"time"
)

// Project groups experiments and models.
type Project struct {
	ID          string
	Name        string
	Description string
	CreatedDate time.Time
}

// ProjectCreate is the input of CreateProject.
type ProjectCreate struct {
	Name        string
	Description string
	// UserID is the creating user, who must be an admin; empty means the
	// default user. The creator gets a read permission on the project.
	UserID string
}

// ProjectUpdate changes the non-nil fields of a project.
type ProjectUpdate struct {
	Name        *string
	Description *string
}

// ProjectFilter selects projects. Names need not be unique.
type ProjectFilter struct {
	// ReadableBy limits the list to projects this user may read; admins read
	// all. Empty means every project.
	ReadableBy string
	// Name, when set, keeps only projects with exactly this name.
	Name string
}

// ProjectService manages projects.
type ProjectService interface {
	// GetProject returns a project or ENotFound.
	GetProject(ctx context.Context, id string) (*Project, error)
	// ListProjects returns the projects matching the filter, oldest first.
	ListProjects(ctx context.Context, f ProjectFilter) ([]*Project, error)
	// CreateProject stores a project and returns its id. EInvalid for an empty
	// name or a creator that is missing or not an admin.
	CreateProject(ctx context.Context, in ProjectCreate) (string, error)
	// UpdateProject changes a project. ENotFound, or EInvalid for an empty name.
	UpdateProject(ctx context.Context, id string, upd ProjectUpdate) error
	// DeleteProject deletes a project with everything in it: experiments (and
	// their iterations, resources and bytes), models and versions, tags
	// attached to it, and permissions. All or nothing. ENotFound if missing.
	DeleteProject(ctx context.Context, id string) error
}
