package core

import (
	"context"
	"time"
)

// Model is a registry entry: a name, unique within its project, whose
// versions point at the iterations (and optionally resources) that made them.
type Model struct {
	ID          string
	ProjectID   string
	Name        string
	Description string
	CreatedDate time.Time
	UpdatedDate time.Time
}

// ModelCreate is the input of CreateModel.
type ModelCreate struct {
	ProjectID   string
	Name        string
	Description string
}

// ModelUpdate changes the non-nil fields of a model.
type ModelUpdate struct {
	Name        *string
	Description *string
}

// ModelFilter selects the models of a project, oldest first.
type ModelFilter struct {
	ProjectID string
	// Name, when set, keeps only the model with this name.
	Name string
	Page
}

// ModelVersion is a numbered version of a model. Numbers start at 1 and grow
// by one per model; a number is never handed out twice, even after deletes.
type ModelVersion struct {
	ID          string
	ModelID     string
	Version     int64
	IterationID string
	ResourceID  string // "" when none
	Stage       Stage
	Description string
	CreatedDate time.Time
	UpdatedDate time.Time
}

// ModelVersionCreate is the input of CreateModelVersion.
type ModelVersionCreate struct {
	ModelID     string
	IterationID string
	ResourceID  string
	Description string
}

// ModelVersionUpdate changes the non-nil fields of a version. Promoting a
// version to PRODUCTION archives the model's current production version in the
// same transaction.
type ModelVersionUpdate struct {
	Stage       *Stage
	Description *string
	ResourceID  *string
}

// ModelVersionFilter selects the versions of a model by version number.
type ModelVersionFilter struct {
	ModelID string
	// Stage, when non-zero, keeps only versions in that stage.
	Stage Stage
	Page
}

// ModelService is the model registry.
type ModelService interface {
	// GetModel returns a model or ENotFound.
	GetModel(ctx context.Context, id string) (*Model, error)
	// ListModels returns a page of a project's models and the total.
	ListModels(ctx context.Context, f ModelFilter) ([]*Model, int, error)
	// CreateModel stores a model and returns its id. EInvalid for an unknown
	// project or an empty name, EConflict for a name taken in the project.
	CreateModel(ctx context.Context, in ModelCreate) (string, error)
	// UpdateModel changes a model. ENotFound, EConflict for a taken name.
	UpdateModel(ctx context.Context, id string, upd ModelUpdate) error
	// DeleteModel deletes a model and its versions (not their resources).
	DeleteModel(ctx context.Context, id string) error

	// GetModelVersion returns a version or ENotFound.
	GetModelVersion(ctx context.Context, id string) (*ModelVersion, error)
	// ListModelVersions returns a page of a model's versions and the total.
	ListModelVersions(ctx context.Context, f ModelVersionFilter) ([]*ModelVersion, int, error)
	// CreateModelVersion registers the next version of a model, in NO_STAGE,
	// and returns its id. EInvalid when the model, iteration or resource is
	// missing or the iteration or resource belongs to another project, in
	// the same words for both, so the refusal reveals nothing of other
	// projects.
	CreateModelVersion(ctx context.Context, in ModelVersionCreate) (string, error)
	// UpdateModelVersion changes a version. ENotFound; EInvalid for an unknown
	// stage or resource.
	UpdateModelVersion(ctx context.Context, id string, upd ModelVersionUpdate) error
	// DeleteModelVersion deletes a version; its resource stays.
	DeleteModelVersion(ctx context.Context, id string) error
}
