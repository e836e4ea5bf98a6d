package core

import (
	"context"
	"time"
)

// Iteration is one run of an experiment. Iterations form trees: a driver
// (no parent) with child iterations in the same experiment. Once EndDate is
// set the iteration is locked: its fields, parameters, metrics and tags can no
// longer change (ErrIterationLocked), though it can still be deleted and
// registered as a model version.
type Iteration struct {
	ID           string
	ExperimentID string
	ParentID     string // "" for a driver iteration
	Notes        string
	Status       IterationStatus
	ErrorMessage string
	CreatedDate  time.Time
	EndDate      time.Time // zero while running
	// Environment holds upstream's Julia snapshot columns.
	Environment EnvironmentSnapshot
}

// Ended reports whether the iteration is locked.
func (it *Iteration) Ended() bool { return !it.EndDate.IsZero() }

// EnvironmentSnapshot is upstream's record of the environment that produced an
// iteration, stored in the iteration row itself so DearDiary.jl can read it.
type EnvironmentSnapshot struct {
	JuliaVersion string
	GitSHA       string
	GitDirty     bool
	Entrypoint   string
	ProjectTOML  string
	ManifestTOML string
}

// IsZero reports whether nothing was captured.
func (e EnvironmentSnapshot) IsZero() bool { return e == EnvironmentSnapshot{} }

// IterationCreate is the input of CreateIteration.
type IterationCreate struct {
	ExperimentID string
	// ParentID makes the new iteration a child; the parent must belong to the
	// same experiment.
	ParentID string
	Notes    string
}

// IterationUpdate changes the non-nil fields of a running iteration. An
// EndDate ends it, which locks it; a status alone does not, as in
// DearDiary.jl, whose clients send an ended status and the end date
// together.
type IterationUpdate struct {
	Notes        *string
	EndDate      *time.Time
	Status       *IterationStatus
	ErrorMessage *string
}

// IterationFilter selects the iterations of an experiment, oldest first.
type IterationFilter struct {
	ExperimentID string
	// Status, when non-zero, keeps only iterations in that status.
	Status IterationStatus
	Page
}

// IterationSearch selects iterations of some experiments by a filter
// expression (see ParseFilter), oldest first.
type IterationSearch struct {
	ExperimentIDs []string
	Filter        string
	Page
}

// IterationService manages iterations.
type IterationService interface {
	// GetIteration returns an iteration or ENotFound.
	GetIteration(ctx context.Context, id string) (*Iteration, error)
	// ListIterations returns a page of an experiment's iterations and the total.
	ListIterations(ctx context.Context, f IterationFilter) ([]*Iteration, int, error)
	// SearchIterations returns a page of the iterations of the experiments
	// that match the filter, and the total. EInvalid for a filter that does
	// not parse or no experiment.
	SearchIterations(ctx context.Context, q IterationSearch) ([]*Iteration, int, error)
	// ChildIterations returns the direct children of an iteration, oldest
	// first; none for an unknown parent.
	ChildIterations(ctx context.Context, parentID string) ([]*Iteration, error)
	// CreateIteration starts a RUNNING iteration and returns its id. EInvalid
	// for an unknown or closed experiment, or a parent that is missing or in
	// another experiment.
	CreateIteration(ctx context.Context, in IterationCreate) (string, error)
	// UpdateIteration changes a running iteration. ENotFound; EInvalid for an
	// unknown status or an ended iteration (wrapping ErrIterationLocked).
	UpdateIteration(ctx context.Context, id string, upd IterationUpdate) error
	// SetIterationEnvironment overwrites upstream's snapshot columns of an
	// iteration, ended or not. ENotFound if missing.
	SetIterationEnvironment(ctx context.Context, id string, env EnvironmentSnapshot) error
	// DeleteIteration deletes an iteration with its parameters, metrics, tags
	// and the model versions built from it; its children become drivers. All
	// or nothing. ENotFound if missing.
	DeleteIteration(ctx context.Context, id string) error
}
