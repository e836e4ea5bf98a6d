package core

import (
	"context"
	"time"
)

// Experiment groups the iterations (runs) of one investigation.
type Experiment struct {
	ID          string
	ProjectID   string
	Status      ExperimentStatus
	Name        string
	Description string
	CreatedDate time.Time
	EndDate     time.Time // zero while open
}

// ExperimentCreate is the input of CreateExperiment.
type ExperimentCreate struct {
	ProjectID   string
	Name        string
	Description string
	// Status must be zero or ExperimentInProgress: experiments start open.
	Status ExperimentStatus
}

// ExperimentUpdate changes the non-nil fields of an experiment. Setting the
// status back to IN_PROGRESS reopens it and clears its end date.
type ExperimentUpdate struct {
	Status      *ExperimentStatus
	Name        *string
	Description *string
	EndDate     *time.Time
}

// ExperimentFilter selects the experiments of a project, oldest first.
type ExperimentFilter struct {
	ProjectID string
	// Name, when set, keeps only experiments with exactly this name.
	Name string
	Page
}

// ExperimentService manages experiments.
type ExperimentService interface {
	// GetExperiment returns an experiment or ENotFound.
	GetExperiment(ctx context.Context, id string) (*Experiment, error)
	// ListExperiments returns a page of a project's experiments and the total.
	ListExperiments(ctx context.Context, f ExperimentFilter) ([]*Experiment, int, error)
	// CreateExperiment stores an IN_PROGRESS experiment and returns its id.
	// EInvalid for an unknown project, an empty name or another status.
	CreateExperiment(ctx context.Context, in ExperimentCreate) (string, error)
	// UpdateExperiment changes an experiment. ENotFound, or EInvalid for an
	// unknown status or an empty name.
	UpdateExperiment(ctx context.Context, id string, upd ExperimentUpdate) error
	// DeleteExperiment deletes an experiment with its iterations, resources
	// (and their bytes), tags and the model versions built from them. All or
	// nothing. ENotFound if missing.
	DeleteExperiment(ctx context.Context, id string) error
}

// Page is the limit and offset of a list. A zero Limit means no limit.
type Page struct {
	Limit  int
	Offset int
}
