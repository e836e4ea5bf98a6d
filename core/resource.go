package core

import (
	"context"
	"io"
	"time"
)

// Artifact backends: where a resource's bytes live.
const (
	BackendInline     = "inline"     // in the database row
	BackendFilesystem = "filesystem" // a file under the artifact root, uri file://...
	BackendS3         = "s3"         // an S3 object, uri s3://...
)

// Resource is a named blob of bytes attached to an experiment: a checkpoint,
// a plot, a dataset sample. Its bytes are read with OpenResource.
type Resource struct {
	ID           string
	ExperimentID string
	Name         string
	Description  string
	CreatedDate  time.Time
	UpdatedDate  time.Time
	Backend      string
	URI          string
	SizeBytes    int64
	ContentHash  string // lowercase hex sha256 of the bytes
}

// ResourceCreate is the input of CreateResource.
type ResourceCreate struct {
	ExperimentID string
	Name         string
	Description  string
}

// ResourceUpdate changes the non-nil fields of a resource. New Data replaces
// the bytes, written to the currently configured backend.
type ResourceUpdate struct {
	Name        *string
	Description *string
	Data        io.Reader
}

// ResourceFilter selects the resources of an experiment, oldest first.
type ResourceFilter struct {
	ExperimentID string
	Page
}

// ResourceService stores artifacts. Bytes are streamed: nothing beyond the
// inline backend holds a whole artifact in memory.
type ResourceService interface {
	// GetResource returns a resource's metadata or ENotFound.
	GetResource(ctx context.Context, id string) (*Resource, error)
	// ListResources returns a page of an experiment's resources and the total.
	ListResources(ctx context.Context, f ResourceFilter) ([]*Resource, int, error)
	// CreateResource stores the bytes read from data and returns the new id.
	// EInvalid for an unknown or closed experiment or an empty name.
	CreateResource(ctx context.Context, in ResourceCreate, data io.Reader) (string, error)
	// UpdateResource changes a resource; new bytes replace the old ones.
	UpdateResource(ctx context.Context, id string, upd ResourceUpdate) error
	// DeleteResource deletes a resource and its bytes; model versions that
	// pointed at it keep going without one. ENotFound if missing.
	DeleteResource(ctx context.Context, id string) error
	// OpenResource returns a reader of the resource's bytes, from the backend
	// the resource was written to. The caller closes it.
	OpenResource(ctx context.Context, id string) (io.ReadCloser, error)
}
